// Vectorised float32 GELU (see gelu_fast.h).
#include "backends/cpu/gelu_fast.h"

#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "backends/cpu/vec_exp.h"
#include "core/kernel_formulas.h"

namespace ember::cpu {
namespace {

using vec::F8;
using vec::splat;

/// erf(x) as the ratio of an odd degree-13 and an even degree-8 polynomial on [-4, 4] (outside,
/// erf is +-1 in float32): Eigen's generic_fast_erf_float coefficients, within about 2e-7.
F8 erf8(F8 x) {
  x = vec::select(x > splat(4.f), splat(4.f), x);
  x = vec::select(x < splat(-4.f), splat(-4.f), x);
  const F8 x2 = x * x;
  F8 p = x2 * splat(-2.72614225801306e-10f) + splat(2.77068142495902e-08f);
  p = x2 * p + splat(-2.10102402082508e-06f);
  p = x2 * p + splat(-5.69250639462346e-05f);
  p = x2 * p + splat(-7.34990630326855e-04f);
  p = x2 * p + splat(-2.95459980854025e-03f);
  p = x2 * p + splat(-1.60960333262415e-02f);
  p = x * p;
  F8 q = x2 * splat(-1.45660718464996e-05f) + splat(-2.13374055278905e-04f);
  q = x2 * q + splat(-1.68282697438203e-03f);
  q = x2 * q + splat(-7.37332916720468e-03f);
  q = x2 * q + splat(-1.42647390514189e-02f);
  return p / q;
}

F8 gelu8(F8 x) { return splat(0.5f) * x * (splat(1.f) + erf8(x * splat(static_cast<float>(EMBER_SQRT1_2)))); }

F8 gelu_backward8(F8 g, F8 x) {
  const F8 cdf = splat(0.5f) * (splat(1.f) + erf8(x * splat(static_cast<float>(EMBER_SQRT1_2))));
  const F8 pdf = vec::exp8(splat(-0.5f) * x * x) * splat(static_cast<float>(EMBER_INV_SQRT_2PI));
  return g * (cdf + x * pdf);
}

/// Applies f8 to [b, e) of the flat runs, 8 at a time, the tail padded.
template <class F>
void run_flat(int64_t n, F f8) {
  parallel_for(n, kGrainSize, [&](int64_t b, int64_t e) {
    int64_t i = b;
    for (; i + vec::kF8 <= e; i += vec::kF8) f8(i, vec::kF8);
    if (i < e) f8(i, e - i);
  });
}

}  // namespace

bool gelu_fast(const TensorArg& in, const TensorArg& out, bool flat) {
  if (!flat || in.dtype != DType::Float32 || out.dtype != DType::Float32) return false;
  const float* x = ptr<const float>(in);
  float* y = ptr<float>(out);
  run_flat(out.numel(), [&](int64_t i, int64_t n) {
    if (n == vec::kF8) vec::store8(y + i, gelu8(vec::load8(x + i)));
    else vec::store_partial(y + i, gelu8(vec::load_partial(x + i, n, 0.f)), n);
  });
  return true;
}

bool gelu_backward_fast(const TensorArg& g, const TensorArg& x, const TensorArg& out, bool flat) {
  if (!flat || g.dtype != DType::Float32 || x.dtype != DType::Float32 || out.dtype != DType::Float32) return false;
  const float* gp = ptr<const float>(g);
  const float* xp = ptr<const float>(x);
  float* y = ptr<float>(out);
  run_flat(out.numel(), [&](int64_t i, int64_t n) {
    if (n == vec::kF8) {
      vec::store8(y + i, gelu_backward8(vec::load8(gp + i), vec::load8(xp + i)));
    } else {
      vec::store_partial(y + i, gelu_backward8(vec::load_partial(gp + i, n, 0.f), vec::load_partial(xp + i, n, 0.f)), n);
    }
  });
  return true;
}

}  // namespace ember::cpu
