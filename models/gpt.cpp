// nanoGPT's GPT in ember (see gpt.h): module names and initialisation as model.py of
// karpathy/nanoGPT, so its state dicts carry over key for key (less the tied lm_head.weight).
#include "gpt.h"

#include <cmath>

#include "ember/ember.h"
#include "ember/ops/attention.h"

namespace ember::models {

namespace {

/// nanoGPT's _init_weights: Linear weights N(0, 0.02), biases 0.
std::shared_ptr<nn::Linear> gpt_linear(int64_t in, int64_t out, double std = 0.02) {
  auto l = std::make_shared<nn::Linear>(in, out);
  nn::init::normal_(l->weight(), 0.0, std);
  nn::init::zeros_(l->bias());
  return l;
}

/// Splits (B, T, 3C) into q, k, v of (B, heads, T, C / heads).
std::array<Tensor, 3> split_heads(const Tensor& qkv, int64_t width, int64_t heads) {
  const int64_t B = qkv.size(0), T = qkv.size(1), hd = width / heads;
  std::array<Tensor, 3> out;
  for (int64_t i = 0; i < 3; ++i)
    out[i] = qkv.slice(2, i * width, (i + 1) * width).reshape({B, T, heads, hd}).transpose(1, 2);
  return out;
}

/// (B, heads, T, hd) -> (B, T, heads * hd).
Tensor merge_heads(const Tensor& y) {
  const int64_t B = y.size(0), H = y.size(1), T = y.size(2), hd = y.size(3);
  return y.transpose(1, 2).contiguous().view({B, T, H * hd});
}

}  // namespace

CausalSelfAttention::CausalSelfAttention(int64_t width, int64_t heads, double dropout)
    : Module("CausalSelfAttention"), width_(width), heads_(heads), dropout_(dropout) {
  EMBER_CHECK(heads >= 1 && width % heads == 0, "gpt: width ", width, " is not a multiple of ", heads, " heads");
  c_attn_ = register_module("c_attn", gpt_linear(width, 3 * width));
  c_proj_ = register_module("c_proj", gpt_linear(width, width));
  register_module("attn_dropout", std::make_shared<nn::Dropout>(dropout));  // inside the attention op
  resid_dropout_ = register_module("resid_dropout", std::make_shared<nn::Dropout>(dropout));
}

Tensor CausalSelfAttention::forward(const Tensor& x) {
  auto [q, k, v] = split_heads((*c_attn_)(x), width_, heads_);
  const double p = is_training() ? dropout_ : 0.0;
  Tensor y = scaled_dot_product_attention(q, k, v, /*causal=*/true, p);
  return (*resid_dropout_)((*c_proj_)(merge_heads(y)));
}

Tensor CausalSelfAttention::forward_cached(const Tensor& x, Tensor& k_cache, Tensor& v_cache, int64_t pos) {
  const int64_t T = x.size(1);
  EMBER_CHECK(pos == 0 || T == 1, "gpt: a cached forward continues one token at a time");
  EMBER_CHECK(pos + T <= k_cache.size(2), "gpt: ", pos + T, " positions exceed the context of ", k_cache.size(2));
  auto [q, k, v] = split_heads((*c_attn_)(x), width_, heads_);
  k_cache.slice(2, pos, pos + T).copy_(k);
  v_cache.slice(2, pos, pos + T).copy_(v);
  Tensor ks = k_cache.slice(2, 0, pos + T), vs = v_cache.slice(2, 0, pos + T);
  Tensor y = scaled_dot_product_attention(q, ks, vs, /*causal=*/T > 1);
  return (*c_proj_)(merge_heads(y));
}

GPTMLP::GPTMLP(int64_t width, double dropout) : Module("MLP") {
  c_fc_ = register_module("c_fc", gpt_linear(width, 4 * width));
  gelu_ = register_module("gelu", std::make_shared<nn::GELU>());
  c_proj_ = register_module("c_proj", gpt_linear(4 * width, width));
  dropout_ = register_module("dropout", std::make_shared<nn::Dropout>(dropout));
}

Tensor GPTMLP::forward(const Tensor& x) { return (*dropout_)((*c_proj_)((*gelu_)((*c_fc_)(x)))); }

GPTBlock::GPTBlock(int64_t width, int64_t heads, double dropout) : Module("Block") {
  ln_1_ = register_module("ln_1", std::make_shared<nn::LayerNorm>(Shape{width}));
  attn_ = register_module("attn", std::make_shared<CausalSelfAttention>(width, heads, dropout));
  ln_2_ = register_module("ln_2", std::make_shared<nn::LayerNorm>(Shape{width}));
  mlp_ = register_module("mlp", std::make_shared<GPTMLP>(width, dropout));
}

Tensor GPTBlock::forward(const Tensor& x) {
  Tensor h = add(x, (*attn_)((*ln_1_)(x)));
  return add(h, (*mlp_)((*ln_2_)(h)));
}

Tensor GPTBlock::forward_cached(const Tensor& x, Tensor& k_cache, Tensor& v_cache, int64_t pos) {
  Tensor h = add(x, attn_->forward_cached((*ln_1_)(x), k_cache, v_cache, pos));
  return add(h, (*mlp_)((*ln_2_)(h)));
}

GPT::GPT(const TextModelConfig& c) : TextModel("GPT"), c_(c) {
  auto transformer = register_module("transformer", std::make_shared<nn::Module>("ModuleDict"));
  wte_ = transformer->register_module("wte", std::make_shared<nn::Embedding>(c.vocab_size, c.width));
  wpe_ = transformer->register_module("wpe", std::make_shared<nn::Embedding>(c.context, c.width));
  nn::init::normal_(wte_->weight(), 0.0, 0.02);
  nn::init::normal_(wpe_->weight(), 0.0, 0.02);
  drop_ = transformer->register_module("drop", std::make_shared<nn::Dropout>(c.dropout));
  auto h = transformer->register_module("h", std::make_shared<nn::Module>("ModuleList"));
  for (int64_t i = 0; i < c.layers; ++i) {
    auto b = std::make_shared<GPTBlock>(c.width, c.heads, c.dropout);
    h->register_module(std::to_string(i), b);
    blocks_.push_back(b);
  }
  ln_f_ = transformer->register_module("ln_f", std::make_shared<nn::LayerNorm>(Shape{c.width}));
  // nanoGPT: the projections into the residual stream get std 0.02 / sqrt(2 * n_layer).
  const double proj_std = 0.02 / std::sqrt(2.0 * static_cast<double>(c.layers));
  for (auto& [name, p] : named_parameters())
    if (name.ends_with("c_proj.weight")) nn::init::normal_(p, 0.0, proj_std);
}

std::string GPT::extra_repr() const {
  return "vocab_size=" + std::to_string(c_.vocab_size) + ", context=" + std::to_string(c_.context) +
         ", layers=" + std::to_string(c_.layers) + ", heads=" + std::to_string(c_.heads) +
         ", width=" + std::to_string(c_.width);
}

Tensor GPT::embed(const Tensor& tokens, int64_t pos) {
  EMBER_CHECK(tokens.dim() == 2, "gpt: tokens must be (batch, time), got ", shape_str(tokens.shape()));
  const int64_t T = tokens.size(1);
  EMBER_CHECK(pos + T <= c_.context, "gpt: a sequence of ", pos + T, " tokens exceeds the context of ", c_.context);
  Tensor positions = arange(static_cast<double>(pos), static_cast<double>(pos + T), 1.0,
                            TensorOptions(kInt64).with_device(tokens.device()));
  Tensor tok = (*wte_)(tokens);  // (B, T, width), then the positions (T, width) broadcast over B
  return (*drop_)(add(tok, (*wpe_)(positions)));
}

Tensor GPT::forward(const Tensor& tokens) {
  Tensor x = embed(tokens, 0);
  for (auto& b : blocks_) x = (*b)(x);
  x = (*ln_f_)(x);
  return linear(x, wte_->weight());
}

namespace {
struct GPTState : GenerationState {
  std::vector<Tensor> k, v;  // per layer (B, heads, context, head_dim)
};
}  // namespace

std::unique_ptr<GenerationState> GPT::begin_generation(int64_t batch) {
  auto s = std::make_unique<GPTState>();
  const Tensor& w = wte_->weight();
  const Shape shape{batch, c_.heads, c_.context, c_.width / c_.heads};
  for (int64_t i = 0; i < c_.layers; ++i) {
    s->k.push_back(zeros(shape, TensorOptions(w.dtype()).with_device(w.device())));
    s->v.push_back(zeros(shape, TensorOptions(w.dtype()).with_device(w.device())));
  }
  return s;
}

Tensor GPT::feed(const Tensor& tokens, GenerationState& state) {
  auto& s = dynamic_cast<GPTState&>(state);
  NoGradGuard ng;
  const int64_t T = tokens.size(1);
  Tensor x = embed(tokens, s.position);
  for (size_t i = 0; i < blocks_.size(); ++i) x = blocks_[i]->forward_cached(x, s.k[i], s.v[i], s.position);
  s.position += T;
  Tensor last = x.select(1, T - 1);  // (B, width): only the last position's logits are needed
  last = (*ln_f_)(last);
  return linear(last, wte_->weight());
}

}  // namespace ember::models
