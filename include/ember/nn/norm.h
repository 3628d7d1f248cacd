// Normalisation and regularisation modules: BatchNorm2d, LayerNorm, Dropout (as torch::nn).
#pragma once
#include "ember/nn/module.h"

namespace ember::nn {

/// Batch norm over (N, C, H, W) per channel. With affine: parameters "weight" (ones) and
/// "bias" (zeros), shape (C). With track_running_stats: buffers "running_mean" (zeros),
/// "running_var" (ones), both (C) float32, and "num_batches_tracked" (0-dim int64, 0). In
/// training mode, normalises with batch statistics, updates the running ones with momentum
/// and adds one to num_batches_tracked; in eval mode, uses the running statistics. Requires
/// num_features >= 1, eps > 0, 0 <= momentum <= 1; forward requires a 4-D input with C channels.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true,
                       bool track_running_stats = true);
  Tensor forward(const Tensor& x) override;
  /// max_pool2d(relu(forward(x)), 2): in training mode one fused op (batch_norm_relu_max_pool2d,
  /// with the same side effects as forward), otherwise the three ops. nn::Sequential calls it
  /// for a BatchNorm2d → ReLU → MaxPool2d(2) run of modules. Requires H, W >= 2.
  Tensor batch_norm_relu_max_pool2d(const Tensor& x);
  std::string extra_repr() const override;

  Tensor weight() const { return has_parameter("weight") ? parameter("weight") : Tensor(); }
  Tensor bias() const { return has_parameter("bias") ? parameter("bias") : Tensor(); }
  Tensor running_mean() const { return has_buffer("running_mean") ? buffer("running_mean") : Tensor(); }
  Tensor running_var() const { return has_buffer("running_var") ? buffer("running_var") : Tensor(); }
  Tensor num_batches_tracked() const {
    return has_buffer("num_batches_tracked") ? buffer("num_batches_tracked") : Tensor();
  }

 private:
  void count_batch();  // num_batches_tracked += 1 in training with running stats

  int64_t c_;
  double eps_, momentum_;
  bool affine_, track_;
};

/// Layer norm over the trailing normalized_shape dims. With elementwise_affine: parameters
/// "weight" (ones) and "bias" (zeros) shaped normalized_shape. Requires a non-empty
/// normalized_shape of positive sizes and eps > 0; forward requires x's trailing dims to
/// equal normalized_shape.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  Tensor weight() const { return has_parameter("weight") ? parameter("weight") : Tensor(); }
  Tensor bias() const { return has_parameter("bias") ? parameter("bias") : Tensor(); }

 private:
  Shape shape_;
  double eps_;
  bool affine_;
};

/// Zeroes each element with probability p in training mode (scaling the rest by 1/(1-p));
/// the identity in eval mode. Requires 0 <= p <= 1.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double p() const { return p_; }

 private:
  double p_;
};

}  // namespace ember::nn
