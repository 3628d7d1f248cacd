// Kernel signatures for indexing along one dim: index_select/gather (reads) and their
// accumulating inverses index_add/scatter_add (the backward passes). The op layer checks that
// every index is in range before calling; kernels may assume 0 <= index < size.
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// out = in with dim d's entries picked by index: out[..., i, ...] = in[..., index[i], ...].
/// in: any strides; index: 1-D int64/int32, any stride; out: contiguous, in's dtype, in's
/// sizes with sizes[d] = index.numel().
using IndexSelectKernel = void(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out);
inline constinit const KernelKey<IndexSelectKernel> kIndexSelect{"index_select"};

/// out[..., index[i], ...] += src[..., i, ...] (repeated indices accumulate).
/// src: contiguous, out's dtype, out's sizes with sizes[d] = index.numel(); index: 1-D
/// int64/int32, any stride; out: contiguous, already initialised.
using IndexAddKernel = void(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out);
inline constinit const KernelKey<IndexAddKernel> kIndexAdd{"index_add"};

/// out[p] = in[p with coordinate d replaced by index[p]] for every position p of index.
/// in: any strides; index: int64/int32 with in's rank, any strides, index.sizes[k] <=
/// in.sizes[k] for k != d; out: contiguous, in's dtype, index's sizes.
using GatherKernel = void(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out);
inline constinit const KernelKey<GatherKernel> kGather{"gather"};

/// out[p with coordinate d replaced by index[p]] += src[p] for every position p of index
/// (repeated targets accumulate). src: any strides, out's dtype, sizes >= index's; index:
/// int64/int32 with out's rank, any strides, index.sizes[k] <= out.sizes[k] for k != d;
/// out: contiguous, already initialised.
using ScatterAddKernel = void(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out);
inline constinit const KernelKey<ScatterAddKernel> kScatterAdd{"scatter_add"};

}  // namespace ember::kernels
