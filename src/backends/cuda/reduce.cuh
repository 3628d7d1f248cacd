// CUDA reductions (sum, max/min with arg indices, any, all) over the trailing dims of a
// strided tensor, with the CPU reference's rules (src/backends/cpu/reduce.cpp).
#pragma once
#include "core/kernels/reduce.h"

namespace ember::cuda {

/// kernels::ReduceKernel: one block row per output, threads stride over the reduced block and
/// combine in a fixed tree (deterministic). Floating sums accumulate in double.
void reduce(kernels::ReduceOp op, const TensorArg& in, int64_t n_reduced, const TensorArg& out, const TensorArg* indices);

}  // namespace ember::cuda
