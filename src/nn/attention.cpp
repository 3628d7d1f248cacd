// MultiheadAttention: in-projection (one GEMM for self-attention), heads split as
// (N, H, L, head_dim), scaled_dot_product_attention, heads merged, out_proj.
#include "ember/nn/attention.h"

#include <cmath>

#include "ember/nn/init.h"
#include "ember/ops/attention.h"
#include "ember/ops/linalg.h"
#include "nn/repr.h"

namespace ember::nn {

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout, bool bias,
                                       bool batch_first)
    : Module("MultiheadAttention"),
      embed_dim_(embed_dim),
      num_heads_(num_heads),
      dropout_(dropout),
      batch_first_(batch_first) {
  EMBER_CHECK(embed_dim >= 1 && num_heads >= 1, "MultiheadAttention: embed_dim and num_heads must be >= 1, got ",
              embed_dim, " and ", num_heads);
  EMBER_CHECK(embed_dim % num_heads == 0, "MultiheadAttention: embed_dim ", embed_dim,
              " must be divisible by num_heads ", num_heads);
  EMBER_CHECK(dropout >= 0.0 && dropout < 1.0, "MultiheadAttention: dropout must be in [0, 1), got ", dropout);
  register_parameter("in_proj_weight", empty({3 * embed_dim, embed_dim}));
  if (bias) register_parameter("in_proj_bias", empty({3 * embed_dim}));
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, bias));
  reset_parameters();
}

void MultiheadAttention::reset_parameters() {
  init::xavier_uniform_(in_proj_weight());
  if (has_parameter("in_proj_bias")) init::zeros_(parameter("in_proj_bias"));
  out_proj_->reset_parameters();
  if (out_proj_->bias().defined()) init::zeros_(out_proj_->bias());
}

namespace {

/// x (N, T, E) -> (N, H, T, E/H), a view.
Tensor split_heads(const Tensor& x, int64_t heads) {
  return x.reshape({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

}  // namespace

Tensor MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value, bool causal) {
  EMBER_CHECK(query.defined() && key.defined() && value.defined(), "MultiheadAttention.forward: undefined input");
  const std::string shapes = "query " + shape_str(query.shape()) + ", key " + shape_str(key.shape()) + ", value " +
                             shape_str(value.shape());
  const int64_t r = query.dim();
  EMBER_CHECK((r == 2 || r == 3) && key.dim() == r && value.dim() == r, "MultiheadAttention.forward: ", shapes,
              ": expected inputs of one rank, 3 (batched) or 2 (unbatched)");
  EMBER_CHECK(query.size(-1) == embed_dim_ && key.size(-1) == embed_dim_ && value.size(-1) == embed_dim_,
              "MultiheadAttention.forward: ", shapes, ": the last dimension must be embed_dim=", embed_dim_);
  const int64_t bd = batch_first_ ? 0 : 1;  // the batch dim of batched inputs
  if (r == 3)
    EMBER_CHECK(key.size(bd) == query.size(bd) && value.size(bd) == query.size(bd), "MultiheadAttention.forward: ",
                shapes, ": batch sizes differ (batch_first=", detail::py_bool(batch_first_), ")");
  const int64_t sd = r == 3 ? 1 - bd : 0;  // the sequence dim
  EMBER_CHECK(key.size(sd) == value.size(sd), "MultiheadAttention.forward: ", shapes,
              ": key and value sequence lengths differ");

  // Everything below is batch-first (N, T, E); views, no copies.
  auto to_nte = [&](const Tensor& t) { return r == 2 ? t.unsqueeze(0) : batch_first_ ? t : t.transpose(0, 1); };
  const Tensor& w = in_proj_weight();
  const Tensor b = in_proj_bias();
  const int64_t E = embed_dim_;
  Tensor q, k, v;
  const bool self = query.impl() == key.impl() && key.impl() == value.impl();
  if (self) {
    Tensor qkv = linear(to_nte(query), w, b);  // (N, L, 3E)
    q = qkv.slice(2, 0, E), k = qkv.slice(2, E, 2 * E), v = qkv.slice(2, 2 * E, 3 * E);
  } else {
    auto part = [&](const Tensor& t, int64_t i) {
      return linear(to_nte(t), w.slice(0, i * E, (i + 1) * E), b.defined() ? b.slice(0, i * E, (i + 1) * E) : b);
    };
    q = part(query, 0), k = part(key, 1), v = part(value, 2);
  }
  const int64_t N = q.size(0), L = q.size(1);
  Tensor o = scaled_dot_product_attention(split_heads(q, num_heads_), split_heads(k, num_heads_),
                                          split_heads(v, num_heads_), causal, is_training() ? dropout_ : 0.0);
  o = o.transpose(1, 2).reshape({N, L, E});  // (N, L, E)
  Tensor out = (*out_proj_)(o);
  if (r == 2) return out.squeeze(0);
  return batch_first_ ? out : out.transpose(0, 1);
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x, false); }

}  // namespace ember::nn
