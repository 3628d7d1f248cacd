// CUDA elementwise kernels: unary, binary (broadcast operands arrive with stride 0) and where,
// over any strides and dtypes, with the CPU reference's semantics (src/backends/cpu/elementwise.cpp).
// Plain C++ declarations of the kernel-table entry points.
#pragma once
#include "core/kernels/elementwise.h"

namespace ember::cuda {

/// kernels::UnaryKernel. Throws ember::Error unless kernels::unary_defined (as the CPU does).
void unary(kernels::UnaryOp op, const TensorArg& in, const TensorArg& out, double p0, double p1);
/// kernels::BinaryKernel. Integer division by zero throws ember::Error (after a device sync).
void binary(kernels::BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out);
/// kernels::WhereKernel.
void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out);

}  // namespace ember::cuda
