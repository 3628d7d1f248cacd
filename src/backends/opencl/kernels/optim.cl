// Fused optimizer updates (SGD with momentum/Nesterov/weight decay; Adam/AdamW) over
// contiguous float32/float64 (role T), one work-item per element, every statement one
// operation with no contraction, in the order of the optimizers' tensor-op path.
#pragma OPENCL FP_CONTRACT OFF

__kernel void sgd_update(__global T* p, long poff, __global const T* g, long goff, __global T* buf, long boff,
                         long n, T lr, T momentum, T damp, T wd, int use_wd, int use_mom, int nesterov, int first) {
  const long i = get_global_id(0);
  if (i >= n) return;
  T d = g[goff + i];
  if (use_wd) {
    T t = p[poff + i] * wd;
    d = d + t;
  }
  if (use_mom) {
    T b;
    if (first) {
      b = d;
    } else {
      T x = buf[boff + i] * momentum;
      T y = d * damp;
      b = x + y;
    }
    buf[boff + i] = b;
    if (nesterov) {
      T t = b * momentum;
      d = d + t;
    } else {
      d = b;
    }
  }
  T s = d * lr;
  p[poff + i] = p[poff + i] - s;
}

__kernel void adam_update(__global T* p, long poff, __global const T* g, long goff, __global T* m, long moff,
                          __global T* v, long voff, long n, T w, T omw, int low, T b2, T omb2, T wd, T eps,
                          T neg_step, T bc2s, T decay, int use_wd, int decoupled) {
  const long i = get_global_id(0);
  if (i >= n) return;
  T x = p[poff + i];
  T gi = g[goff + i];
  if (use_wd) {
    if (decoupled) {
      x = x * decay;
    } else {
      T t = x * wd;
      gi = gi + t;
    }
  }
  T mo = m[moff + i];
  T diff = gi - mo;
  T mi;
  if (low) {
    T t = diff * w;
    mi = mo + t;
  } else {
    T t = diff * omw;
    mi = gi - t;
  }
  m[moff + i] = mi;
  T vb = v[voff + i] * b2;
  T gg = gi * omb2;
  gg = gg * gi;
  T vi = vb + gg;
  v[voff + i] = vi;
  T denom = sqrt(vi);
  denom = denom / bc2s;
  denom = denom + eps;
  T num = mi * neg_step;
  num = num / denom;
  p[poff + i] = x + num;
}
