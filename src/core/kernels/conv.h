// Kernel signatures for 2-D convolution over NCHW: forward, gradient of the input, and
// gradients of the weight and bias.
#pragma once
#include <array>

#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// Convolution hyper-parameters (the op layer has validated them: stride >= 1, padding >= 0,
/// dilation >= 1, groups >= 1 dividing both C and O, output sizes >= 1).
struct Conv2dGeometry {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};

// Shapes, all operands of one floating dtype, numel > 0:
//   x (N,C,H,W), w (O,C/groups,kH,kW), bias (O), out (N,O,OH,OW) with
//   OH = (H + 2*padding[0] - dilation[0]*(kH-1) - 1) / stride[0] + 1 (OW likewise).
// w and bias are contiguous. The activations x, out, grad_out and grad_x are contiguous NCHW,
// or, on a backend whose takes_channels_last() is true, each may instead be channels-last
// (core/memory_format.h), independently of the others.

/// out = conv(x, w) + bias; bias may be nullptr (no bias).
using Conv2dForwardKernel = void(const TensorArg& x, const TensorArg& w, const TensorArg* bias, const TensorArg& out,
                                 const Conv2dGeometry& g);
inline constinit const KernelKey<Conv2dForwardKernel> kConv2dForward{"conv2d_forward"};

/// grad_x (N,C,H,W) = d(sum(out * grad_out))/dx; overwrites grad_x.
using Conv2dBackwardInputKernel = void(const TensorArg& grad_out, const TensorArg& w, const TensorArg& grad_x,
                                       const Conv2dGeometry& g);
inline constinit const KernelKey<Conv2dBackwardInputKernel> kConv2dBackwardInput{"conv2d_backward_input"};

/// grad_w (O,C/groups,kH,kW) and grad_bias (O) (nullptr: not wanted) from grad_out and x;
/// overwrites both.
using Conv2dBackwardWeightKernel = void(const TensorArg& grad_out, const TensorArg& x, const TensorArg& grad_w,
                                        const TensorArg* grad_bias, const Conv2dGeometry& g);
inline constinit const KernelKey<Conv2dBackwardWeightKernel> kConv2dBackwardWeight{"conv2d_backward_weight"};

/// Optional (core/kernels/fused.h): both gradients in one call, for backends that share work
/// between them (oneDNN: grad_out reordered once). grad_x and grad_w are required; grad_bias may
/// be nullptr. Same results as the two kernels above.
using Conv2dBackwardKernel = void(const TensorArg& grad_out, const TensorArg& x, const TensorArg& w,
                                  const TensorArg& grad_x, const TensorArg& grad_w, const TensorArg* grad_bias,
                                  const Conv2dGeometry& g);
inline constinit const KernelKey<Conv2dBackwardKernel> kConv2dBackward{"conv2d_backward"};

}  // namespace ember::kernels
