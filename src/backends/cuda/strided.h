// Strided operands as CUDA kernels take them: one shared shape (dims merged where every
// operand allows, by core/merge_dims.h) and per-operand strides, passed by value as kernel parameters. The host side
// builds them from TensorArgs; the offset arithmetic is __host__ __device__ so it is tested on
// the CPU (tests/backends/cuda/strided_test.cpp) against the CPU backend's iteration.
#pragma once
#include <array>
#include <cstdint>

#include "core/kernel_math.h"
#include "core/merge_dims.h"
#include "ember/error.h"
#include "ember/shape.h"
#include "ember/tensor.h"

namespace ember::cuda {

/// The most dims a kernel sees after merging (ember tensors rarely have more than 6).
inline constexpr int kMaxDims = 8;

/// Linear index -> element offsets of N operands that share a row-major shape.
template <int N>
struct StridedIter {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};

  /// off[k] = element offset of linear index i in operand k (relative to its first element).
  EMBER_HD void offsets(int64_t i, int64_t (&off)[N]) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t q = i / sizes[d];
      const int64_t c = i - q * sizes[d];
      for (int k = 0; k < N; ++k) off[k] += c * strides[k][d];
      i = q;
    }
  }
  /// The offset in operand k alone.
  EMBER_HD int64_t offset(int k, int64_t i) const {
    int64_t o = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t q = i / sizes[d];
      o += (i - q * sizes[d]) * strides[k][d];
      i = q;
    }
    return o;
  }
};

/// Builds the iterator for `sizes` and one stride vector per operand, dims merged by
/// merge_dims (core/merge_dims.h). Requires: each strides[k] has sizes.size() entries. Throws
/// ember::Error when more than kMaxDims dims remain; `what` names the kernel in the error.
template <int N>
StridedIter<N> make_iter(const Shape& sizes, const std::array<const Shape*, N>& strides, const char* what) {
  constexpr int kMaxIn = 64;
  const int ndim = static_cast<int>(sizes.size());
  EMBER_CHECK(ndim <= kMaxIn, what, ": too many dims (", ndim, ")");
  int64_t ms[kMaxIn];
  int64_t mst[N][kMaxIn];
  const int64_t* in[N];
  int64_t* out[N];
  for (int k = 0; k < N; ++k) in[k] = strides[k]->data(), out[k] = mst[k];
  const int nd = merge_dims(ndim, sizes.data(), N, in, ms, out);
  EMBER_CHECK(nd <= kMaxDims, what, ": the CUDA backend handles at most ", kMaxDims,
              " non-mergeable dims, got ", nd, " for shape ", shape_str(sizes));
  StridedIter<N> it;
  it.ndim = nd;
  for (int d = 0; d < nd; ++d) {
    it.sizes[d] = ms[d];
    for (int k = 0; k < N; ++k) it.strides[k][d] = mst[k][d];
  }
  return it;
}

/// True when every operand of the iterator is dense in row-major order over the shape (then
/// offset == linear index for all of them).
template <int N>
bool all_dense(const StridedIter<N>& it) {
  if (it.ndim == 0) return true;
  if (it.ndim > 1) return false;  // merging leaves a dense operand set with one dim
  for (int k = 0; k < N; ++k)
    if (it.strides[k][0] != 1) return false;
  return true;
}

}  // namespace ember::cuda
