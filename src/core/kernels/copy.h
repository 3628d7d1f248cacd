// Kernel signatures for copy/convert and fill (every backend must provide these two).
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// dst = src converted to dst.dtype; same sizes, any strides (src strides may be 0).
using CopyKernel = void(const TensorArg& src, const TensorArg& dst);
inline constinit const KernelKey<CopyKernel> kCopy{"copy"};

/// Every element of dst (any strides) = value converted to dst.dtype.
using FillKernel = void(const TensorArg& dst, double value);
inline constinit const KernelKey<FillKernel> kFill{"fill"};

}  // namespace ember::kernels
