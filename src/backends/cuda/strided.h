// Strided operands as CUDA kernels take them: one shared shape (dims merged where every
// operand allows) and per-operand strides, passed by value as kernel parameters. The host side
// builds them from TensorArgs; the offset arithmetic is __host__ __device__ so it is tested on
// the CPU (tests/backends/cuda/strided_test.cpp) against the CPU backend's iteration.
#pragma once
#include <array>
#include <cstdint>

#include "core/kernel_math.h"
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

/// Builds the iterator for `sizes` and one stride vector per operand: size-1 dims dropped, and
/// neighbouring dims merged when every operand steps through them as one. Throws ember::Error
/// when more than kMaxDims dims remain. `what` names the kernel in the error.
template <int N>
StridedIter<N> make_iter(const Shape& sizes, const std::array<const Shape*, N>& strides, const char* what) {
  StridedIter<N> it;
  // Walk from the innermost dim outwards, appending to reversed arrays first.
  int64_t rs[64];
  int64_t rst[N][64];
  int nd = 0;
  for (size_t dd = sizes.size(); dd-- > 0;) {
    const int64_t n = sizes[dd];
    if (n == 1) continue;
    if (nd > 0) {
      bool merge = true;
      for (int k = 0; k < N; ++k)
        if ((*strides[k])[dd] != rst[k][nd - 1] * rs[nd - 1]) merge = false;
      if (merge) {
        rs[nd - 1] *= n;
        continue;
      }
    }
    EMBER_CHECK(nd < 64, what, ": too many dims (", sizes.size(), ")");
    rs[nd] = n;
    for (int k = 0; k < N; ++k) rst[k][nd] = (*strides[k])[dd];
    ++nd;
  }
  EMBER_CHECK(nd <= kMaxDims, what, ": the CUDA backend handles at most ", kMaxDims,
              " non-mergeable dims, got ", nd, " for shape ", shape_str(sizes));
  it.ndim = nd;
  for (int d = 0; d < nd; ++d) {
    it.sizes[d] = rs[nd - 1 - d];
    for (int k = 0; k < N; ++k) it.strides[k][d] = rst[k][nd - 1 - d];
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
