// MultiheadAttention, as torch.nn.MultiheadAttention (need_weights=False): packed input
// projection, scaled_dot_product_attention per head, output projection.
#pragma once
#include <memory>

#include "ember/nn/linear.h"
#include "ember/nn/module.h"

namespace ember::nn {

/// Parameters "in_proj_weight" (3E, E) (xavier_uniform), "in_proj_bias" (3E) (zeros; only with
/// bias), and the child "out_proj", a Linear(E, E, bias) with PyTorch's Linear init and a zero
/// bias: the names and order of torch.nn.MultiheadAttention's state_dict (kdim = vdim = E).
/// dropout is applied to the attention weights in training mode only. repr() is PyTorch's (the
/// out_proj child only).
/// Requires embed_dim >= 1, num_heads >= 1, embed_dim % num_heads == 0, dropout in [0, 1).
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                     bool batch_first = false);

  /// The attention output only (PyTorch's need_weights=False). query (L, N, E), key and value
  /// (S, N, E); batch_first: (N, L, E) and (N, S, E); unbatched: (L, E) and (S, E). Returns the
  /// query's layout: (L, N, E), (N, L, E) or (L, E). causal: query i attends to keys j <= i
  /// (is_causal with the top-left tril(ones(L, S)) mask). When query, key and value are one
  /// tensor the projection is one GEMM (PyTorch's packed self-attention path).
  /// Requires defined floating tensors of one rank (2 or 3), E features, one batch size, and
  /// key and value of one length S; otherwise throws ember::Error naming the shapes.
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value, bool causal = false);
  /// Self-attention: forward(x, x, x, false).
  Tensor forward(const Tensor& x) override;
  /// Re-draws the parameters with PyTorch's initialisation.
  void reset_parameters();

  const Tensor& in_proj_weight() const { return parameter("in_proj_weight"); }
  /// Undefined when constructed with bias = false.
  Tensor in_proj_bias() const { return has_parameter("in_proj_bias") ? parameter("in_proj_bias") : Tensor(); }
  Linear& out_proj() { return *out_proj_; }
  const Linear& out_proj() const { return *out_proj_; }
  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return embed_dim_ / num_heads_; }
  double dropout() const { return dropout_; }
  bool batch_first() const { return batch_first_; }

 private:
  int64_t embed_dim_, num_heads_;
  double dropout_;
  bool batch_first_;
  std::shared_ptr<Linear> out_proj_;
};

}  // namespace ember::nn
