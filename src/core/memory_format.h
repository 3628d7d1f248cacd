// Channels-last 4-D tensors: NHWC in memory, with the logical shape (N,C,H,W) and strides
// (H*W*C, 1, W*C, C), as PyTorch's channels_last memory format. It is the layout the bfloat16
// convolutions of oneDNN (AVX512-BF16, AMX) and tensor-core kernels are fastest in; a backend
// says whether its conv2d / fused batch-norm kernels take it (Backend::takes_channels_last) and
// for which dtypes conv2d should produce it (Backend::prefers_channels_last). Every other op
// sees an ordinary strided tensor.
#pragma once
#include "core/kernels/tensor_arg.h"
#include "ember/tensor.h"

namespace ember {

/// Dense NHWC for a 4-D shape (size-1 dims may have any stride, so an NCHW tensor with one
/// channel, or 1x1 planes, is both contiguous and channels-last).
bool is_channels_last(const Shape& sizes, const Shape& strides);
inline bool is_channels_last(const TensorArg& a) { return is_channels_last(a.sizes, a.strides); }
bool is_channels_last(const Tensor& t);

/// Strides of the channels-last layout for a 4-D (N,C,H,W) shape.
Shape channels_last_strides(const Shape& nchw);

/// A new channels-last tensor of logical shape nchw (4-D), uninitialised, on backend b.
Tensor make_empty_channels_last(const Shape& nchw, DType t, Backend& b);

/// A new uninitialised activation of logical shape nchw: channels-last when channels_last, else
/// contiguous NCHW.
Tensor make_empty_activation(const Shape& nchw, DType t, Backend& b, bool channels_last);

/// Whether t is strictly channels-last (not also plain NCHW) on a backend whose conv and fused
/// kernels take that layout: the ops then keep it for their outputs and gradients.
bool keeps_channels_last(const Tensor& t);

// to_channels_last (a differentiable copy into this layout) is an op: ops/memory_format.h.

}  // namespace ember
