// Kernel signature for reductions. The op layer permutes the reduced dims to the end, so a
// kernel sees in.sizes = [kept..., reduced...] and writes one value per kept position.
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

enum class ReduceOp { Sum, Max, Min, Any, All };

/// out (contiguous, numel = product of kept dims) = op over the last n_reduced dims of in.
/// Sum: out has in's dtype (floats accumulate in double). Max/Min: when indices is non-null,
/// it receives the int64 flat index within the reduced block of the first extremum
/// (NaN counts as the extremum). Any/All: out is bool.
using ReduceKernel = void(ReduceOp op, const TensorArg& in, int64_t n_reduced, const TensorArg& out,
                          const TensorArg* indices);
inline constinit const KernelKey<ReduceKernel> kReduce{"reduce"};

}  // namespace ember::kernels
