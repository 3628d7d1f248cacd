// Linear (y = x W^T + b) and Flatten, as torch::nn::Linear / torch::nn::Flatten.
#pragma once
#include "ember/nn/module.h"

namespace ember::nn {

/// Parameters "weight" (out, in) and, with bias, "bias" (out), both float32, initialised as
/// PyTorch: U(-1/sqrt(in), 1/sqrt(in)) from the default generator. Requires in, out >= 1.
/// forward: x (*, in) floating -> (*, out).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// Re-draws the parameters with the default initialisation.
  void reset_parameters();

  const Tensor& weight() const { return parameter("weight"); }
  /// Undefined when constructed with bias = false.
  Tensor bias() const { return has_parameter("bias") ? parameter("bias") : Tensor(); }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  int64_t in_, out_;
};

/// Flattens dims start_dim..end_dim (negative counts from the end) into one; no parameters.
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  int64_t start_, end_;
};

}  // namespace ember::nn
