// Convolution and pooling over NCHW tensors. Fast paths: oneDNN convolution and pooling on the CPU backend.
#pragma once
#include <array>

#include "ember/tensor.h"

namespace ember {

struct Conv2dParams {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};
/// x (N,C,H,W), weight (O, C/groups, kH, kW), bias (O) or undefined → (N,O,H',W').
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), const Conv2dParams& p = {});

struct Pool2dParams {
  std::array<int64_t, 2> kernel{2, 2};
  std::array<int64_t, 2> stride{0, 0};  // 0: same as kernel
  std::array<int64_t, 2> padding{0, 0};
};
/// x (N,C,H,W). Padding must be at most half the kernel.
Tensor max_pool2d(const Tensor& x, const Pool2dParams& p);
/// Average pooling; padded zeros count in the divisor (PyTorch count_include_pad=true).
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p);
/// x (N,C,H,W) → (N,C,out_h,out_w) with PyTorch's adaptive bin edges.
Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> out_size);

}  // namespace ember
