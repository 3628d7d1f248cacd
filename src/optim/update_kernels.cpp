// Fused and op-based SGD/Adam updates. The fused loops round every scalar to the element type
// and do one IEEE operation per statement, exactly like the op path (a float32 tensor op with
// a double scalar computes in float32); floating-point contraction into FMAs is switched off
// below so the compiler cannot fuse a multiply and an add the op path performs separately.
#include "optim/update_kernels.h"

#include <cmath>

#include "backends/cpu/parallel.h"
#include "ember/autograd.h"
#include "ember/ops/elementwise.h"

#include "optim/exact_fp.h"

namespace ember::optim::kernels {
namespace {

template <class T>
void sgd_loop(T* p, const T* g, T* buf, int64_t n, bool first, const SGDArgs& a) {
  const T wd = static_cast<T>(a.weight_decay), mom = static_cast<T>(a.momentum);
  const T damp = static_cast<T>(1.0 - a.dampening), lr = static_cast<T>(a.lr);
  const bool use_wd = a.weight_decay != 0, use_mom = a.momentum != 0;
  cpu::parallel_for(n, cpu::kGrainSize, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      T d = g[i];
      if (use_wd) {
        T t = p[i] * wd;
        d = d + t;
      }
      if (use_mom) {
        T b;
        if (first) {
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
void adam_loop(T* p, const T* g, T* m, T* v, int64_t n, const AdamArgs& a) {
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
  cpu::parallel_for(n, cpu::kGrainSize, [&](int64_t lo, int64_t hi) {
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

}  // namespace

void sgd_fused(const Tensor& p, const Tensor& g, const Tensor& buf, bool first, const SGDArgs& a) {
  if (p.dtype() == DType::Float32)
    sgd_loop(p.data_ptr<float>(), g.data_ptr<float>(), buf.data_ptr<float>(), p.numel(), first, a);
  else
    sgd_loop(p.data_ptr<double>(), g.data_ptr<double>(), buf.data_ptr<double>(), p.numel(), first, a);
}

void adam_fused(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamArgs& a) {
  if (p.dtype() == DType::Float32)
    adam_loop(p.data_ptr<float>(), g.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), p.numel(), a);
  else
    adam_loop(p.data_ptr<double>(), g.data_ptr<double>(), m.data_ptr<double>(), v.data_ptr<double>(), p.numel(), a);
}

void sgd_generic(const Tensor& p, const Tensor& g, const Tensor& buf, bool first, const SGDArgs& a) {
  NoGradGuard ng;
  Tensor d = g;
  if (a.weight_decay != 0) d = add(d, mul(p, a.weight_decay));
  if (a.momentum != 0) {
    if (first) {
      buf.copy_(d);
    } else {
      buf.copy_(add(mul(buf, a.momentum), mul(d, 1.0 - a.dampening)));
    }
    d = a.nesterov ? add(d, mul(buf, a.momentum)) : buf;
  }
  p.copy_(sub(p, mul(d, a.lr)));
}

void adam_generic(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamArgs& a) {
  NoGradGuard ng;
  Tensor x = p, gi = g;
  if (a.weight_decay != 0) {
    if (a.decoupled)
      x = mul(x, 1.0 - a.lr * a.weight_decay);
    else
      gi = add(gi, mul(x, a.weight_decay));
  }
  const double w = 1.0 - a.beta1;
  Tensor diff = sub(gi, m);
  m.copy_(w < 0.5 ? add(m, mul(diff, w)) : sub(gi, mul(diff, 1.0 - w)));
  v.copy_(add(mul(v, a.beta2), mul(mul(gi, 1.0 - a.beta2), gi)));
  const double bc1 = 1.0 - std::pow(a.beta1, static_cast<double>(a.step));
  const double bc2 = 1.0 - std::pow(a.beta2, static_cast<double>(a.step));
  Tensor denom = add(div(sqrt(v), std::sqrt(bc2)), a.eps);
  p.copy_(add(x, div(mul(m, -(a.lr / bc1)), denom)));
}

}  // namespace ember::optim::kernels
