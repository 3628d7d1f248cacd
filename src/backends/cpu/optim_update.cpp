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

template <class T>
void sgd_loop(T* p, const T* g, T* buf, int64_t n, const kernels::SgdUpdateArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), mom = static_cast<T>(a.momentum);
  const T damp = static_cast<T>(1.0 - a.dampening), lr = static_cast<T>(a.lr);
  const bool use_wd = a.weight_decay != 0, use_mom = a.momentum != 0;
  parallel_for(n, kGrainSize, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      T d = g[i];
      if (use_wd) {
        T t = p[i] * wd;
        d = d + t;
      }
      if (use_mom) {
        T b;
        if (a.first) {
          b = d;
        } else {
          T x = buf[i] * mom;
          T y = d * damp;
          b = x + y;
        }
        buf[i] = b;
        if (a.nesterov) {
          T t = b * mom;
          d = d + t;
        } else {
          d = b;
        }
      }
      T s = d * lr;
      p[i] = p[i] - s;
    }
  });
}

template <class T>
void adam_loop(T* p, const T* g, T* m, T* v, int64_t n, const kernels::AdamUpdateArgs& a) {
  const double w_d = 1.0 - a.beta1;
  const bool low = w_d < 0.5;
  const T w = static_cast<T>(w_d), omw = static_cast<T>(1.0 - w_d);
  const T b2 = static_cast<T>(a.beta2), omb2 = static_cast<T>(1.0 - a.beta2);
  const T wd = static_cast<T>(a.weight_decay), eps = static_cast<T>(a.eps);
  const double bc1 = 1.0 - std::pow(a.beta1, static_cast<double>(a.step));
  const double bc2 = 1.0 - std::pow(a.beta2, static_cast<double>(a.step));
  const T neg_step = static_cast<T>(-(a.lr / bc1)), bc2s = static_cast<T>(std::sqrt(bc2));
  const T decay = static_cast<T>(1.0 - a.lr * a.weight_decay);
  const bool use_wd = a.weight_decay != 0;
  parallel_for(n, kGrainSize, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      T x = p[i];
      T gi = g[i];
      if (use_wd) {
        if (a.decoupled) {
          x = x * decay;
        } else {
          T t = x * wd;
          gi = gi + t;
        }
      }
      T diff = gi - m[i];
      T mi;
      if (low) {
        T t = diff * w;
        mi = m[i] + t;
      } else {
        T t = diff * omw;
        mi = gi - t;
      }
      m[i] = mi;
      T vb = v[i] * b2;
      T gg = gi * omb2;
      gg = gg * gi;
      T vi = vb + gg;
      v[i] = vi;
      T denom = std::sqrt(vi);
      denom = denom / bc2s;
      denom = denom + eps;
      T num = mi * neg_step;
      num = num / denom;
      p[i] = x + num;
    }
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
  t.set<kernels::SgdUpdateKernel>(kernels::kSgdUpdate, sgd_update);
  t.set<kernels::AdamUpdateKernel>(kernels::kAdamUpdate, adam_update);
}

}  // namespace ember::cpu
