// Convolution and pooling over NCHW tensors. Fast paths: oneDNN convolution and pooling on the CPU backend.
#pragma once
#include <array>

#include "ember/tensor.h"

namespace ember {

struct Conv2dParams {
  std::array<int64_t, 2> stride{1, 1};    // >= 1
  std::array<int64_t, 2> padding{0, 0};   // >= 0, zeros on both sides
  std::array<int64_t, 2> dilation{1, 1};  // >= 1
  int64_t groups = 1;                     // >= 1, divides C and O
};
/// 2-D cross-correlation (PyTorch's conv2d). x (N,C,H,W), weight (O, C/groups, kH, kW),
/// bias (O) or undefined → (N,O,OH,OW) with OH = floor((H + 2p - d*(kH-1) - 1)/s) + 1 >= 1.
/// x, weight and bias share one floating dtype and device. Differentiable in all three.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), const Conv2dParams& p = {});

struct Pool2dParams {
  std::array<int64_t, 2> kernel{2, 2};   // >= 1
  std::array<int64_t, 2> stride{0, 0};   // 0: same as kernel
  std::array<int64_t, 2> padding{0, 0};  // 0 <= padding <= kernel/2
};
/// Max pooling. x (N,C,H,W) floating → (N,C,OH,OW), OH = floor((H + 2p - k)/s) + 1 >= 1.
/// Padding never wins. The gradient goes to the first maximum of each window.
Tensor max_pool2d(const Tensor& x, const Pool2dParams& p);
/// Average pooling, same shapes as max_pool2d; padded zeros count in the divisor
/// (PyTorch's count_include_pad=true), so every window divides by kH*kW.
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p);
/// x (N,C,H,W) floating with H, W >= 1 → (N,C,out_h,out_w), out sizes >= 1, with PyTorch's
/// adaptive bins: rows [floor(i*H/out_h), ceil((i+1)*H/out_h)), columns likewise.
Tensor adaptive_avg_pool2d(const Tensor& x, std::array<int64_t, 2> out_size);

}  // namespace ember
