// CUDA copy/convert and fill (kernels::CopyKernel / FillKernel), also used by other families
// to make strided operands contiguous. Plain C++ declarations.
#pragma once
#include "core/kernels/tensor_arg.h"

namespace ember::cuda {

/// dst = src converted to dst.dtype; same sizes, any strides (src strides may be 0); both on
/// the same CUDA device. Enqueued on the device's stream.
void copy_tensor(const TensorArg& src, const TensorArg& dst);
/// Every element of dst (any strides) = value converted to dst.dtype, as the CPU converts it.
void fill_tensor(const TensorArg& dst, double value);

}  // namespace ember::cuda
