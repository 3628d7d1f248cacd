// Helpers shared by the optimizer tests: parameters with gradients set by hand, gradient
// sequences, and bit-exact comparison of tensors.
#pragma once
#include <cstring>
#include <vector>

#include "harness/op_harness.h"

namespace ember::test {

/// A leaf parameter holding values (dtype t) that requires grad.
inline Tensor param(const std::vector<double>& values, DType t = DType::Float64) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, TensorOptions(t)).set_requires_grad();
}

/// Sets p's gradient to values (p's dtype and shape).
inline void set_grad(Tensor p, const std::vector<double>& values) {
  p.set_grad(from_vector(values, p.shape(), TensorOptions(p.dtype())));
}

/// Deterministic pseudo-random values in [-1, 1) (no generator state involved).
inline std::vector<double> wave(size_t n, double phase) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::sin(0.37 * static_cast<double>(i) + phase) * (1.0 + 0.5 * std::cos(phase * i));
  return v;
}

/// True when a and b have the same shape, dtype and bytes.
inline ::testing::AssertionResult bit_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << a.str() << " vs " << b.str();
  Tensor ca = a.contiguous(), cb = b.contiguous();
  if (std::memcmp(ca.raw_data(), cb.raw_data(), static_cast<size_t>(a.numel()) * dtype_size(a.dtype())) != 0) {
    std::vector<double> va = ca.to_vector<double>(), vb = cb.to_vector<double>();
    for (size_t i = 0; i < va.size(); ++i)
      if (va[i] != vb[i] && !(std::isnan(va[i]) && std::isnan(vb[i])))
        return ::testing::AssertionFailure() << "first difference at " << i << ": " << va[i] << " vs " << vb[i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ember::test
