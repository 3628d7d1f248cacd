// What the NCHW (batch_norm_relu_max_pool2d.cpp) and channels-last
// (batch_norm_relu_max_pool2d_nhwc.cpp) CPU kernels of the fused BatchNorm → ReLU → MaxPool(2)
// block share: the compute type, the dtype dispatch, and
// the per-channel statistics and backward coefficients they write.
#pragma once
#include <cmath>
#include <type_traits>

#include "backends/cpu/strided.h"
#include "core/kernels/tensor_arg.h"
#include "ember/error.h"

namespace ember::cpu::batch_norm_relu_max_pool2d_impl {

/// The arithmetic type for elements E: float for float32 and bfloat16, double for float64.
template <class E>
using compute_t = std::conditional_t<std::is_same_v<E, double>, double, float>;

/// Calls f.template operator()<E>() with x's element type E (float32, float64 or bfloat16);
/// throws naming the op for any other dtype.
template <class F>
void dispatch_dtype(DType t, F&& f) {
  switch (t) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    case DType::BFloat16: return f.template operator()<BFloat16>();
    default:
      EMBER_FAIL("batch_norm_relu_max_pool2d: unsupported input dtype ", dtype_name(t), " (float32, float64, bfloat16)");
  }
}

/// Writes channel c's batch mean m, biased variance var and 1/sqrt(var + eps) to the forward's
/// outputs (compute type T); returns that rstd.
template <class T>
T store_moments(const TensorArg& ma, const TensorArg& va, const TensorArg& ra, int64_t c, T m, double var, double eps) {
  const T r = static_cast<T>(1.0 / std::sqrt(var + eps));
  ptr<T>(ma)[c * ma.strides[0]] = m;
  ptr<T>(va)[c * va.strides[0]] = static_cast<T>(var);
  ptr<T>(ra)[c * ra.strides[0]] = r;
  return r;
}

/// dx = bx*(x - m) + c0 everywhere, plus a*g at each window's winner.
template <class T>
struct DxCoefficients {
  T a, bx, c0;
};

/// From channel c's sums over the winners, sum_g = sum g and sum_gd = sum g*(x - m), its rstd r,
/// weight w and element count M: writes dweight and dbias (when non-null) and returns the dx
/// coefficients of batch norm's training backward.
template <class T>
DxCoefficients<T> backward_coefficients(int64_t c, double sum_g, double sum_gd, double r, T w, double M,
                                        const TensorArg* dwa, const TensorArg* dba) {
  const double sum_gxhat = sum_gd * r;
  if (dwa) ptr<T>(*dwa)[c * dwa->strides[0]] = static_cast<T>(sum_gxhat);
  if (dba) ptr<T>(*dba)[c * dba->strides[0]] = static_cast<T>(sum_g);
  // dx = k*g - k/M*sum_g - k*r/M*sum_gxhat*(x - m), g nonzero only at the winners.
  const double kk = static_cast<double>(w) * r;
  return {static_cast<T>(kk), static_cast<T>(-kk * r * sum_gxhat / M), static_cast<T>(-kk * sum_g / M)};
}

}  // namespace ember::cpu::batch_norm_relu_max_pool2d_impl
