// Pooling modules over (N, C, H, W): MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (as torch::nn).
#pragma once
#include <array>

#include "ember/nn/module.h"
#include "ember/ops/conv.h"

namespace ember::nn {

using Size2 = std::array<int64_t, 2>;

/// Max pooling; stride 0 means stride = kernel_size (PyTorch's default). Requires kernel >= 1,
/// stride >= 0 and 0 <= padding <= kernel/2 (checked at construction).
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0)
      : MaxPool2d(Size2{kernel_size, kernel_size}, Size2{stride, stride}, Size2{padding, padding}) {}
  MaxPool2d(Size2 kernel_size, Size2 stride, Size2 padding = {0, 0});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// Window, stride (resolved: never 0) and padding.
  const Pool2dParams& params() const { return p_; }

 private:
  Pool2dParams p_;
};

/// Average pooling (padded zeros count in the divisor); same arguments as MaxPool2d.
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0)
      : AvgPool2d(Size2{kernel_size, kernel_size}, Size2{stride, stride}, Size2{padding, padding}) {}
  AvgPool2d(Size2 kernel_size, Size2 stride, Size2 padding = {0, 0});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  Pool2dParams p_;
};

/// Average pooling to a fixed output size (PyTorch's adaptive bins). Requires sizes >= 1.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(int64_t output_size) : AdaptiveAvgPool2d(Size2{output_size, output_size}) {}
  explicit AdaptiveAvgPool2d(Size2 output_size);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  Size2 out_;
};

}  // namespace ember::nn
