// Strided iteration for CPU kernels: walks the elements [begin, end) of a shape in row-major
// order and hands f the element offsets of N operands (each with its own strides).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "core/kernels/tensor_arg.h"

namespace ember::cpu {

/// Typed pointer to element 0 of a CPU TensorArg.
template <class T>
T* ptr(const TensorArg& a) {
  return static_cast<T*>(a.data) + a.offset;
}

/// An optional per-channel parameter (a weight or bias of shape (C), any stride) read as T, or
/// `dflt` for every channel when absent.
template <class T>
struct ChannelParam {
  const T* p = nullptr;
  int64_t stride = 0;
  T dflt;
  ChannelParam(const TensorArg* a, T d) : dflt(d) {
    if (a) p = ptr<const T>(*a), stride = a->strides[0];
  }
  T operator[](int64_t i) const { return p ? p[i * stride] : dflt; }
};

/// f(std::array<int64_t, N> offsets) for each linear index in [begin, end) of sizes.
template <size_t N, class F>
void for_each_offset(const Shape& sizes, const std::array<const Shape*, N>& strides, int64_t begin,
                     int64_t end, F&& f) {
  const int64_t nd = static_cast<int64_t>(sizes.size());
  if (begin >= end) return;
  std::array<int64_t, N> off{};
  Shape idx(static_cast<size_t>(nd), 0);  // inline storage: no heap allocation per call
  int64_t rem = begin;
  for (int64_t d = nd - 1; d >= 0; --d) {
    idx[d] = sizes[d] ? rem % sizes[d] : 0;
    rem = sizes[d] ? rem / sizes[d] : 0;
    for (size_t k = 0; k < N; ++k) off[k] += idx[d] * (*strides[k])[d];
  }
  if (nd == 0) {
    f(off);
    return;
  }
  const int64_t inner = sizes[nd - 1];
  std::array<int64_t, N> inner_stride;
  for (size_t k = 0; k < N; ++k) inner_stride[k] = (*strides[k])[nd - 1];
  int64_t i = begin;
  while (i < end) {
    // Run along the innermost dim.
    int64_t run = std::min(end - i, inner - idx[nd - 1]);
    for (int64_t j = 0; j < run; ++j) {
      f(off);
      for (size_t k = 0; k < N; ++k) off[k] += inner_stride[k];
    }
    i += run;
    idx[nd - 1] += run;
    // Carry into outer dims.
    for (int64_t d = nd - 1; d > 0 && idx[d] == sizes[d]; --d) {
      for (size_t k = 0; k < N; ++k) off[k] -= idx[d] * (*strides[k])[d];
      idx[d] = 0;
      idx[d - 1]++;
      for (size_t k = 0; k < N; ++k) off[k] += (*strides[k])[d - 1];
    }
  }
}

}  // namespace ember::cpu
