// nanoGPT's decoder-only transformer (see ember/models/text.h, "gpt"), with a key/value cache
// for generation.
#pragma once
#include "ember/models/text.h"

namespace ember::models {

/// One attention layer of nanoGPT: c_attn (width -> 3 width), causal scaled dot-product
/// attention over `heads` heads, c_proj (width -> width), dropout on the attention weights and
/// the output.
class CausalSelfAttention : public nn::Module {
 public:
  CausalSelfAttention(int64_t width, int64_t heads, double dropout);
  /// x (B, T, width) -> (B, T, width), causal.
  Tensor forward(const Tensor& x) override;
  /// Generation: x (B, T, width) holds the tokens at positions [pos, pos + T); their keys and
  /// values are written into k_cache/v_cache (B, heads, context, head_dim) and the queries attend
  /// to positions [0, pos + T). Requires pos == 0 or T == 1, and pos + T <= context.
  Tensor forward_cached(const Tensor& x, Tensor& k_cache, Tensor& v_cache, int64_t pos);
  int64_t heads() const { return heads_; }

 private:
  int64_t width_, heads_;
  double dropout_;
  std::shared_ptr<nn::Linear> c_attn_, c_proj_;
  std::shared_ptr<nn::Dropout> resid_dropout_;
};

/// nanoGPT's MLP: c_proj(gelu(c_fc(x))) with a 4x wider hidden layer, then dropout.
class GPTMLP : public nn::Module {
 public:
  GPTMLP(int64_t width, double dropout);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Linear> c_fc_, c_proj_;
  std::shared_ptr<nn::GELU> gelu_;
  std::shared_ptr<nn::Dropout> dropout_;
};

/// Pre-LayerNorm block: x + attn(ln_1(x)), then x + mlp(ln_2(x)) with mlp = c_proj(gelu(c_fc)).
class GPTBlock : public nn::Module {
 public:
  GPTBlock(int64_t width, int64_t heads, double dropout);
  Tensor forward(const Tensor& x) override;
  Tensor forward_cached(const Tensor& x, Tensor& k_cache, Tensor& v_cache, int64_t pos);

 private:
  std::shared_ptr<nn::LayerNorm> ln_1_, ln_2_;
  std::shared_ptr<CausalSelfAttention> attn_;
  std::shared_ptr<GPTMLP> mlp_;
};

class GPT : public TextModel {
 public:
  /// Requires a resolved config (resolve_text_config("gpt", ...)).
  explicit GPT(const TextModelConfig& c);
  Tensor forward(const Tensor& tokens) override;
  int64_t vocab_size() const override { return c_.vocab_size; }
  int64_t max_context() const override { return c_.context; }
  std::unique_ptr<GenerationState> begin_generation(int64_t batch) override;
  Tensor feed(const Tensor& tokens, GenerationState& state) override;
  std::string extra_repr() const override;

 private:
  /// Token plus position embeddings of tokens (B, T) at positions [pos, pos + T).
  Tensor embed(const Tensor& tokens, int64_t pos);
  TextModelConfig c_;
  std::shared_ptr<nn::Embedding> wte_, wpe_;
  std::shared_ptr<nn::Dropout> drop_;
  std::shared_ptr<nn::LayerNorm> ln_f_;
  std::vector<std::shared_ptr<GPTBlock>> blocks_;
};

}  // namespace ember::models
