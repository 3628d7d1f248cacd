// The language models' registry (resolve_text_config, make_text_model) and sampling from them
// (generate): temperature, top-k, a seeded generator of its own, streaming each byte.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "charlstm.h"
#include "ember/data/text.h"
#include "ember/ember.h"
#include "ember/models/text.h"
#include "gpt.h"

namespace ember::models {

bool is_text_model(const std::string& name) { return name == "charlstm" || name == "gpt"; }

TextModelConfig resolve_text_config(const std::string& name, const TextModelConfig& config) {
  EMBER_CHECK(is_text_model(name), "unknown language model '", name, "'; known: charlstm, gpt");
  const bool gpt = name == "gpt";
  TextModelConfig c;
  c.vocab_size = config.vocab_size ? config.vocab_size : 256;
  c.context = config.context ? config.context : (gpt ? 128 : 0);
  c.layers = config.layers ? config.layers : (gpt ? 4 : 2);
  c.heads = config.heads ? config.heads : (gpt ? 4 : 0);
  c.width = config.width ? config.width : (gpt ? 128 : 256);
  c.embedding = config.embedding ? config.embedding : (gpt ? c.width : 128);
  c.dropout = config.dropout >= 0 ? config.dropout : 0.0;
  EMBER_CHECK(c.vocab_size >= 1 && c.layers >= 1 && c.width >= 1 && c.embedding >= 1 && c.context >= 0 &&
                  c.heads >= 0 && config.vocab_size >= 0 && config.layers >= 0 && config.width >= 0,
              "model '", name, "': sizes must be >= 1 (or 0 for the default)");
  EMBER_CHECK(c.dropout < 1.0, "model '", name, "': dropout must be in [0, 1), got ", c.dropout);
  if (gpt) {
    EMBER_CHECK(c.context >= 1, "model 'gpt': context must be >= 1");
    EMBER_CHECK(c.heads >= 1 && c.width % c.heads == 0, "model 'gpt': width ", c.width,
                " must be a multiple of the number of heads ", c.heads);
    EMBER_CHECK(c.embedding == c.width, "model 'gpt': the embedding size is the width (", c.width, ")");
  } else {
    EMBER_CHECK(config.heads == 0, "model 'charlstm' has no attention heads");
  }
  return c;
}

TextModelPtr make_text_model(const std::string& name, const TextModelConfig& config) {
  const TextModelConfig c = resolve_text_config(name, config);
  if (name == "gpt") return std::make_shared<GPT>(c);
  return std::make_shared<CharLSTM>(c);
}

namespace {

/// Draws a token from logits (vocab) float32 on the CPU.
int64_t sample(const std::vector<float>& logits, const SamplingOptions& o, Generator& g) {
  const int64_t V = static_cast<int64_t>(logits.size());
  std::vector<int64_t> idx(static_cast<size_t>(V));
  std::iota(idx.begin(), idx.end(), 0);
  int64_t keep = V;
  if (o.top_k > 0 && o.top_k < V) {
    keep = o.top_k;
    std::partial_sort(idx.begin(), idx.begin() + keep, idx.end(),
                      [&](int64_t a, int64_t b) { return logits[a] > logits[b]; });
  }
  double mx = -INFINITY;
  for (int64_t i = 0; i < keep; ++i) mx = std::max(mx, static_cast<double>(logits[idx[i]]));
  std::vector<double> p(static_cast<size_t>(keep));
  double total = 0;
  for (int64_t i = 0; i < keep; ++i) total += p[i] = std::exp((logits[idx[i]] - mx) / o.temperature);
  double u = g.uniform() * total;
  for (int64_t i = 0; i < keep; ++i) {
    u -= p[i];
    if (u < 0) return idx[i];
  }
  return idx[keep - 1];
}

}  // namespace

std::string generate(TextModel& model, const std::string& prompt, int64_t tokens, const SamplingOptions& o,
                     const std::function<void(char)>& on_token) {
  EMBER_CHECK(!prompt.empty(), "generate: the prompt must hold at least one byte");
  EMBER_CHECK(tokens >= 0, "generate: the number of tokens must be >= 0");
  EMBER_CHECK(o.temperature > 0 && std::isfinite(o.temperature), "generate: temperature must be > 0, got ",
              o.temperature);
  EMBER_CHECK(o.top_k >= 0, "generate: top-k must be >= 0, got ", o.top_k);
  NoGradGuard ng;
  const Device dev = model.parameters().front().device();
  Generator g(o.seed);
  std::string all = prompt, out;
  const int64_t ctx = model.max_context();
  auto state = model.begin_generation(1);
  // The prompt (its last `ctx` bytes for a bounded model) primes the state in one forward.
  auto prime = [&](const std::string& text) {
    state = model.begin_generation(1);
    return model.feed(data::encode_bytes(text).to(dev), *state);
  };
  Tensor logits = prime(ctx > 0 && static_cast<int64_t>(all.size()) > ctx ? all.substr(all.size() - ctx) : all);
  for (int64_t i = 0; i < tokens; ++i) {
    Tensor l = logits.to(Device("cpu")).to(kFloat32).contiguous();
    const float* lp = static_cast<const float*>(l.raw_data());
    std::vector<float> row(lp, lp + l.numel());
    const auto next = static_cast<char>(sample(row, o, g));
    all.push_back(next);
    out.push_back(next);
    if (on_token) on_token(next);
    if (i + 1 == tokens) break;
    if (ctx > 0 && state->position >= ctx) {
      // The cache is full: restart it from the last half of the context.
      logits = prime(all.substr(all.size() - static_cast<size_t>(std::max<int64_t>(1, ctx / 2))));
    } else {
      logits = model.feed(data::encode_bytes(std::string(1, next)).to(dev), *state);
    }
  }
  return out;
}

}  // namespace ember::models
