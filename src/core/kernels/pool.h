// Kernel signatures for 2-D pooling over NCHW: max (with arg-max indices), average
// (count_include_pad) and adaptive average, each with its backward.
#pragma once
#include <array>

#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// Pooling window (validated by the op: kernel >= 1, stride >= 1, 0 <= padding <= kernel/2,
/// output sizes >= 1).
struct Pool2dGeometry {
  std::array<int64_t, 2> kernel{2, 2};
  std::array<int64_t, 2> stride{2, 2};
  std::array<int64_t, 2> padding{0, 0};
};

// Shapes, all operands contiguous, x/out/grads of one floating dtype, numel > 0:
//   x (N,C,H,W), out (N,C,OH,OW) with OH = (H + 2*padding[0] - kernel[0]) / stride[0] + 1.

/// out = max over each window (padding never wins; NaN propagates). indices (int64, shaped
/// like out) receives the flat position h*W + w of the first maximum within its (H,W) plane;
/// nullptr when no backward will need it (lets a backend use an inference-only path).
using MaxPool2dForwardKernel = void(const TensorArg& x, const TensorArg& out, const TensorArg* indices,
                                    const Pool2dGeometry& g);
inline constinit const KernelKey<MaxPool2dForwardKernel> kMaxPool2dForward{"max_pool2d_forward"};

/// grad_x (N,C,H,W) = grad_out scattered (summed) to indices (from the forward with window g);
/// overwrites grad_x.
using MaxPool2dBackwardKernel = void(const TensorArg& grad_out, const TensorArg& indices, const TensorArg& grad_x,
                                     const Pool2dGeometry& g);
inline constinit const KernelKey<MaxPool2dBackwardKernel> kMaxPool2dBackward{"max_pool2d_backward"};

/// out = sum over each window / (kernel[0]*kernel[1]) (padded zeros count, as PyTorch's
/// count_include_pad=true).
using AvgPool2dForwardKernel = void(const TensorArg& x, const TensorArg& out, const Pool2dGeometry& g);
inline constinit const KernelKey<AvgPool2dForwardKernel> kAvgPool2dForward{"avg_pool2d_forward"};

/// grad_x (N,C,H,W) from grad_out (N,C,OH,OW); overwrites grad_x.
using AvgPool2dBackwardKernel = void(const TensorArg& grad_out, const TensorArg& grad_x, const Pool2dGeometry& g);
inline constinit const KernelKey<AvgPool2dBackwardKernel> kAvgPool2dBackward{"avg_pool2d_backward"};

/// Adaptive average: out (N,C,OH,OW), bin i over rows [floor(i*H/OH), ceil((i+1)*H/OH)),
/// columns likewise. H, W >= 1.
using AdaptiveAvgPool2dForwardKernel = void(const TensorArg& x, const TensorArg& out);
inline constinit const KernelKey<AdaptiveAvgPool2dForwardKernel> kAdaptiveAvgPool2dForward{"adaptive_avg_pool2d_forward"};

/// grad_x (N,C,H,W) from grad_out (N,C,OH,OW); overwrites grad_x.
using AdaptiveAvgPool2dBackwardKernel = void(const TensorArg& grad_out, const TensorArg& grad_x);
inline constinit const KernelKey<AdaptiveAvgPool2dBackwardKernel> kAdaptiveAvgPool2dBackward{"adaptive_avg_pool2d_backward"};

}  // namespace ember::kernels
