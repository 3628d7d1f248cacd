// Dimension merging for strided kernels, shared by every backend: a row-major walk over one
// shape by several operands (each with its own strides) loses its size-1 dims and fuses the
// neighbouring dims that every operand steps through as one, so kernels index fewer dims.
// Included by CUDA sources (nvcc): keep it to <cstdint>.
#pragma once
#include <cstdint>

namespace ember {

/// Merges the dims of `sizes` (ndim entries) walked by n operands, operand k with strides
/// strides[k][0..ndim). Dims of size 1 are dropped; a dim and the next inner one are fused when,
/// for every operand, the outer stride equals the inner stride times the inner size (so
/// broadcast dims fuse only with broadcast dims and transposed views stay apart). Writes the
/// merged sizes to out_sizes and operand k's strides to out_strides[k], outermost first, and
/// returns how many there are (0 when the walk is a single element). The element order and
/// every operand's offsets are unchanged.
/// Requires: ndim >= 0, n >= 1; out_sizes and each out_strides[k] have room for ndim values
/// (they may not alias the inputs).
int merge_dims(int ndim, const int64_t* sizes, int n, const int64_t* const* strides, int64_t* out_sizes,
               int64_t* const* out_strides);

}  // namespace ember
