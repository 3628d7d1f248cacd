// CPU fused optimizer updates (SGD, Adam/AdamW): one threaded pass per parameter. Every scalar
// is rounded to the element type and every statement is one IEEE operation, exactly like the
// optimizers' tensor-op path (a float32 op with a double scalar computes in float32), and
// contraction into FMAs is off (core/exact_fp.h), so both paths agree bit for bit.
#include "core/exact_fp.h"

#include <cmath>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/optim.h"

namespace ember::cpu {
namespace {

/// The SGD step over [lo, hi); the flags are compile-time so the loop has no branches and
/// vectorises.
template <class T, bool kWd, bool kMom, bool kFirst, bool kNesterov>
void sgd_range(T* p, const T* g, T* buf, int64_t lo, int64_t hi, T wd, T mom, T damp, T lr) {
#pragma omp simd
  for (int64_t i = lo; i < hi; ++i) {
    T d = g[i];
    if constexpr (kWd) {
      T t = p[i] * wd;
      d = d + t;
    }
    if constexpr (kMom) {
      T b;
      if constexpr (kFirst) {
        b = d;
      } else {
        T x = buf[i] * mom;
        T y = d * damp;
        b = x + y;
      }
      buf[i] = b;
      if constexpr (kNesterov) {
        T t = b * mom;
        d = d + t;
      } else {
        d = b;
      }
    }
    T s = d * lr;
    p[i] = p[i] - s;
  }
}

template <class T>
void sgd_loop(T* p, const T* g, T* buf, int64_t n, const kernels::SgdUpdateArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), mom = static_cast<T>(a.momentum);
  const T damp = static_cast<T>(1.0 - a.dampening), lr = static_cast<T>(a.lr);
  const bool use_wd = a.weight_decay != 0, use_mom = a.momentum != 0;
  parallel_for(n, kGrainSize, [&](int64_t lo, int64_t hi) {
    auto run = [&]<bool kWd>() {
      if (!use_mom) sgd_range<T, kWd, false, false, false>(p, g, buf, lo, hi, wd, mom, damp, lr);
      else if (a.first && a.nesterov) sgd_range<T, kWd, true, true, true>(p, g, buf, lo, hi, wd, mom, damp, lr);
      else if (a.first) sgd_range<T, kWd, true, true, false>(p, g, buf, lo, hi, wd, mom, damp, lr);
      else if (a.nesterov) sgd_range<T, kWd, true, false, true>(p, g, buf, lo, hi, wd, mom, damp, lr);
      else sgd_range<T, kWd, true, false, false>(p, g, buf, lo, hi, wd, mom, damp, lr);
    };
    if (use_wd) run.template operator()<true>();
    else run.template operator()<false>();
  });
}

/// Scalars of one Adam step, rounded to T as the tensor-op path rounds them.
template <class T>
struct AdamScalars {
  T w, omw, b2, omb2, wd, eps, neg_step, bc2s, decay;
};

enum class WeightDecay { None, Coupled, Decoupled };

/// The Adam step over [lo, hi). kLow picks the form of the first-moment update that the
/// tensor-op path uses for this beta1 (lerp's two formulas); the flags are compile-time so the
/// loop has no branches and vectorises.
template <class T, bool kLow, WeightDecay kWd>
void adam_range(T* p, const T* g, T* m, T* v, int64_t lo, int64_t hi, const AdamScalars<T> s) {
#pragma omp simd
  for (int64_t i = lo; i < hi; ++i) {
    T x = p[i];
    T gi = g[i];
    if constexpr (kWd == WeightDecay::Decoupled) {
      x = x * s.decay;
    } else if constexpr (kWd == WeightDecay::Coupled) {
      T t = x * s.wd;
      gi = gi + t;
    }
    T diff = gi - m[i];
    T mi;
    if constexpr (kLow) {
      T t = diff * s.w;
      mi = m[i] + t;
    } else {
      T t = diff * s.omw;
      mi = gi - t;
    }
    m[i] = mi;
    T vb = v[i] * s.b2;
    T gg = gi * s.omb2;
    gg = gg * gi;
    T vi = vb + gg;
    v[i] = vi;
    T denom = std::sqrt(vi);
    denom = denom / s.bc2s;
    denom = denom + s.eps;
    T num = mi * s.neg_step;
    num = num / denom;
    p[i] = x + num;
  }
}

template <class T>
void adam_loop(T* p, const T* g, T* m, T* v, int64_t n, const kernels::AdamUpdateArgs& a) {
  const double w_d = 1.0 - a.beta1;
  const bool low = w_d < 0.5;
  const double bc1 = 1.0 - std::pow(a.beta1, static_cast<double>(a.step));
  const double bc2 = 1.0 - std::pow(a.beta2, static_cast<double>(a.step));
  const AdamScalars<T> s{static_cast<T>(w_d),         static_cast<T>(1.0 - w_d),
                         static_cast<T>(a.beta2),     static_cast<T>(1.0 - a.beta2),
                         static_cast<T>(a.weight_decay), static_cast<T>(a.eps),
                         static_cast<T>(-(a.lr / bc1)), static_cast<T>(std::sqrt(bc2)),
                         static_cast<T>(1.0 - a.lr * a.weight_decay)};
  const WeightDecay wd = a.weight_decay == 0 ? WeightDecay::None
                         : a.decoupled       ? WeightDecay::Decoupled
                                             : WeightDecay::Coupled;
  parallel_for(n, kGrainSize, [&](int64_t lo, int64_t hi) {
    auto run = [&]<bool kLow>() {
      switch (wd) {
        case WeightDecay::None: return adam_range<T, kLow, WeightDecay::None>(p, g, m, v, lo, hi, s);
        case WeightDecay::Coupled: return adam_range<T, kLow, WeightDecay::Coupled>(p, g, m, v, lo, hi, s);
        case WeightDecay::Decoupled: return adam_range<T, kLow, WeightDecay::Decoupled>(p, g, m, v, lo, hi, s);
      }
    };
    if (low) run.template operator()<true>();
    else run.template operator()<false>();
  });
}

void sgd_update(const TensorArg& p, const TensorArg& g, const TensorArg* buf, const kernels::SgdUpdateArgs& a) {
  if (p.dtype == DType::Float32)
    sgd_loop(ptr<float>(p), ptr<const float>(g), buf ? ptr<float>(*buf) : nullptr, p.numel(), a);
  else
    sgd_loop(ptr<double>(p), ptr<const double>(g), buf ? ptr<double>(*buf) : nullptr, p.numel(), a);
}

void adam_update(const TensorArg& p, const TensorArg& g, const TensorArg& m, const TensorArg& v,
                 const kernels::AdamUpdateArgs& a) {
  if (p.dtype == DType::Float32)
    adam_loop(ptr<float>(p), ptr<const float>(g), ptr<float>(m), ptr<float>(v), p.numel(), a);
  else
    adam_loop(ptr<double>(p), ptr<const double>(g), ptr<double>(m), ptr<double>(v), p.numel(), a);
}

}  // namespace

void register_optim_kernels(KernelTable& t) {
  t.set(kernels::kSgdUpdate, sgd_update);
  t.set(kernels::kAdamUpdate, adam_update);
}

}  // namespace ember::cpu
