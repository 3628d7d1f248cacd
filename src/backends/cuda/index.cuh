// CUDA indexing along one dim: index_select / gather (one thread per output element, moving
// raw element bits) and index_add / scatter_add (one thread per position outside the indexed
// dim, walking it in order: no atomics, the CPU's summation order, any dtype).
#pragma once
#include "core/kernels/index.h"

namespace ember::cuda {

void index_select(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out);
void index_add(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out);
void gather(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out);
void scatter_add(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out);

}  // namespace ember::cuda
