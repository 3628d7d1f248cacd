// Conv2d, as torch::nn::Conv2d, with a chainable options struct like torch::nn::Conv2dOptions.
#pragma once
#include <array>

#include "ember/nn/module.h"
#include "ember/ops/conv.h"

namespace ember::nn {

/// Conv2dOptions(in, out, 3).stride(2).padding(1).bias(false). Setters return *this; the
/// same names without arguments read the value.
class Conv2dOptions {
 public:
  using Pair = std::array<int64_t, 2>;
  Conv2dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : Conv2dOptions(in_channels, out_channels, Pair{kernel_size, kernel_size}) {}
  Conv2dOptions(int64_t in_channels, int64_t out_channels, Pair kernel_size)
      : in_(in_channels), out_(out_channels), kernel_(kernel_size) {}

  Conv2dOptions& stride(int64_t s) { return stride(Pair{s, s}); }
  Conv2dOptions& stride(Pair s) { stride_ = s; return *this; }
  Conv2dOptions& padding(int64_t p) { return padding(Pair{p, p}); }
  Conv2dOptions& padding(Pair p) { padding_ = p; return *this; }
  Conv2dOptions& dilation(int64_t d) { return dilation(Pair{d, d}); }
  Conv2dOptions& dilation(Pair d) { dilation_ = d; return *this; }
  Conv2dOptions& groups(int64_t g) { groups_ = g; return *this; }
  Conv2dOptions& bias(bool b) { bias_ = b; return *this; }

  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }
  const Pair& kernel_size() const { return kernel_; }
  const Pair& stride() const { return stride_; }
  const Pair& padding() const { return padding_; }
  const Pair& dilation() const { return dilation_; }
  int64_t groups() const { return groups_; }
  bool bias() const { return bias_; }

 private:
  int64_t in_, out_;
  Pair kernel_, stride_{1, 1}, padding_{0, 0}, dilation_{1, 1};
  int64_t groups_ = 1;
  bool bias_ = true;
};

/// Parameters "weight" (out, in/groups, kH, kW) and optionally "bias" (out), float32,
/// initialised as PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in/groups*kH*kW.
/// Requires positive channels and kernel, stride, dilation and groups, padding >= 0, and
/// groups dividing both channel counts. forward: x (N, in, H, W) -> (N, out, OH, OW), see conv2d.
class Conv2d : public Module {
 public:
  explicit Conv2d(const Conv2dOptions& o);
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1, int64_t padding = 0,
         int64_t dilation = 1, int64_t groups = 1, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters();

  const Tensor& weight() const { return parameter("weight"); }
  Tensor bias() const { return has_parameter("bias") ? parameter("bias") : Tensor(); }
  const Conv2dOptions& options() const { return opts_; }

 private:
  Conv2dOptions opts_;
};

}  // namespace ember::nn
