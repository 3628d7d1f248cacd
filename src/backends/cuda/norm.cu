// CUDA batch norm and layer norm kernels. Batch norm: one block per channel for statistics and
// backward sums, elementwise apply. Layer norm: one block row per row (forward and dx), one
// thread per column for dweight/dbias (rows summed in order, as the CPU does). Sums in double.
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "backends/cuda/norm.cuh"

namespace ember::cuda {
namespace {

/// An optional per-channel / per-column parameter (weight or bias).
template <class T>
struct Param {
  const T* p = nullptr;
  int64_t stride = 0;
  Param(const TensorArg* a) {  // NOLINT
    if (a) {
      p = device_ptr<const T>(*a);
      stride = a->strides[0];
    }
  }
  __device__ acc_t<T> at(int64_t i, acc_t<T> dflt) const { return p ? to_acc(p[i * stride]) : dflt; }
};

/// A statistics vector (mean, var, rstd): stat_t<T> with a stride.
template <class T>
struct Stat {
  stat_t<T>* p = nullptr;
  int64_t stride = 0;
  Stat(const TensorArg* a) {  // NOLINT
    if (a) {
      p = device_ptr<stat_t<T>>(*a);
      stride = a->strides[0];
    }
  }
  __device__ stat_t<T>& operator[](int64_t i) const { return p[i * stride]; }
};

/// (N,C,S) sizes and one operand's strides.
struct Ncs {
  int64_t N, C, S, s0, s1, s2;
  Ncs(const TensorArg& sizes_of, const TensorArg& a)
      : N(sizes_of.sizes[0]), C(sizes_of.sizes[1]), S(sizes_of.sizes[2]), s0(a.strides[0]), s1(a.strides[1]),
        s2(a.strides[2]) {}
  __device__ int64_t at(int64_t n, int64_t c, int64_t s) const { return n * s0 + c * s1 + s * s2; }
};

// ---- batch norm ------------------------------------------------------------------------------

template <class T>
__global__ void bn_stats_kernel(const T* x, Ncs d, Stat<T> mean, Stat<T> var, Stat<T> rstd, double eps) {
  using S = stat_t<T>;
  const int64_t M = d.N * d.S;
  for (int64_t c = blockIdx.x; c < d.C; c += gridDim.x) {
    double sum = 0;
    for (int64_t j = threadIdx.x; j < M; j += blockDim.x)
      sum += static_cast<double>(to_acc(x[d.at(j / d.S, c, j % d.S)]));
    const double m = row_reduce(sum, Plus<double>()) / static_cast<double>(M);
    double sq = 0;
    for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
      const double v = static_cast<double>(to_acc(x[d.at(j / d.S, c, j % d.S)])) - m;
      sq += v * v;
    }
    sq = row_reduce(sq, Plus<double>());
    if (threadIdx.x == 0) {
      const S v = static_cast<S>(sq / static_cast<double>(M));
      mean[c] = static_cast<S>(m);
      var[c] = v;
      if (rstd.p) rstd[c] = static_cast<S>(1.0 / sqrt(static_cast<double>(v) + eps));
    }
  }
}

template <class T>
__global__ void bn_apply_kernel(const T* x, Ncs xd, T* out, Ncs od, Stat<T> mean, Stat<T> rstd, Param<T> w, Param<T> b) {
  using A = acc_t<T>;
  EMBER_GRID_STRIDE(i, xd.N * xd.C * xd.S) {
    const int64_t n = i / (xd.C * xd.S), c = (i / xd.S) % xd.C, s = i % xd.S;
    const A scale = static_cast<A>(rstd[c]) * w.at(c, A(1));
    const A shift = b.at(c, A(0)) - static_cast<A>(mean[c]) * scale;
    out[od.at(n, c, s)] = from_acc<T>(to_acc(x[xd.at(n, c, s)]) * scale + shift);
  }
}

template <class T>
__global__ void bn_backward_kernel(const T* g, Ncs gd, const T* x, Ncs xd, Stat<T> mean, Stat<T> rstd, Param<T> w,
                                   bool training, T* dx, Ncs dxd, T* dw, int64_t dws, T* db, int64_t dbs) {
  using A = acc_t<T>;
  const int64_t M = xd.N * xd.S;
  const double Md = static_cast<double>(M);
  const bool sums = training || dw || db;
  for (int64_t c = blockIdx.x; c < xd.C; c += gridDim.x) {
    const double m = static_cast<double>(mean[c]), r = static_cast<double>(rstd[c]);
    double sum_g = 0, sum_gx = 0;
    if (sums) {
      for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
        const int64_t n = j / xd.S, s = j % xd.S;
        const double gv = static_cast<double>(to_acc(g[gd.at(n, c, s)]));
        sum_g += gv;
        sum_gx += gv * (static_cast<double>(to_acc(x[xd.at(n, c, s)])) - m) * r;
      }
      sum_g = row_reduce(sum_g, Plus<double>());
      sum_gx = row_reduce(sum_gx, Plus<double>());
    }
    if (threadIdx.x == 0) {
      if (dw) dw[c * dws] = from_acc<T>(sum_gx);
      if (db) db[c * dbs] = from_acc<T>(sum_g);
    }
    if (!dx) continue;
    const double k = static_cast<double>(w.at(c, A(1))) * r;
    for (int64_t j = threadIdx.x; j < M; j += blockDim.x) {
      const int64_t n = j / xd.S, s = j % xd.S;
      const double gv = static_cast<double>(to_acc(g[gd.at(n, c, s)]));
      const double xhat = (static_cast<double>(to_acc(x[xd.at(n, c, s)])) - m) * r;
      dx[dxd.at(n, c, s)] = from_acc<T>(math::batch_norm_dx(gv, xhat, k, Md, sum_g, sum_gx, training));
    }
  }
}

unsigned channel_grid(int64_t C, const DeviceContext& ctx) {
  const int64_t cap = static_cast<int64_t>(ctx.sm_count()) * 8;
  return static_cast<unsigned>(C < cap ? (C < 1 ? 1 : C) : cap);
}

void launch_stats(const TensorArg& x, const TensorArg& mean, const TensorArg& var, const TensorArg* rstd, double eps) {
  if (x.numel() == 0) return;
  DeviceContext& ctx = context_of(x);
  EMBER_CUDA_DISPATCH_FLOATING(x.dtype, "batch_norm", {
    bn_stats_kernel<scalar_t><<<channel_grid(x.sizes[1], ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(x), Ncs(x, x), Stat<scalar_t>(&mean), Stat<scalar_t>(&var), Stat<scalar_t>(rstd), eps);
  });
  check_launch("batch_norm statistics");
}

// ---- layer norm --------------------------------------------------------------------------------

/// A (M,N) operand's two strides.
struct Rows {
  int64_t s0, s1;
  explicit Rows(const TensorArg& a) : s0(a.strides[0]), s1(a.strides[1]) {}
  __device__ int64_t at(int64_t i, int64_t j) const { return i * s0 + j * s1; }
};

template <class T>
__global__ void ln_forward_kernel(const T* x, Rows xr, T* out, Rows orr, int64_t M, int64_t N, Param<T> w, Param<T> b,
                                  double eps, Stat<T> mean, Stat<T> rstd) {
  using A = acc_t<T>;
  using S = stat_t<T>;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < M;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t i = base + threadIdx.y;
    const bool active = i < M;
    double sum = 0;
    if (active)
      for (int64_t j = threadIdx.x; j < N; j += blockDim.x) sum += static_cast<double>(to_acc(x[xr.at(i, j)]));
    sum = row_reduce(sum, Plus<double>());
    const double m = N ? sum / static_cast<double>(N) : 0.0;
    double sq = 0;
    if (active)
      for (int64_t j = threadIdx.x; j < N; j += blockDim.x) {
        const double v = static_cast<double>(to_acc(x[xr.at(i, j)])) - m;
        sq += v * v;
      }
    sq = row_reduce(sq, Plus<double>());
    if (!active) continue;  // (no block-wide synchronisation follows)
    const double r = 1.0 / sqrt((N ? sq / static_cast<double>(N) : 0.0) + eps);
    if (threadIdx.x == 0) {
      mean[i] = static_cast<S>(m);
      rstd[i] = static_cast<S>(r);
    }
    const A am = static_cast<A>(m), ar = static_cast<A>(r);
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x)
      out[orr.at(i, j)] = from_acc<T>((to_acc(x[xr.at(i, j)]) - am) * ar * w.at(j, A(1)) + b.at(j, A(0)));
  }
}

template <class T>
__global__ void ln_dx_kernel(const T* g, Rows gr, const T* x, Rows xr, int64_t M, int64_t N, Stat<T> mean, Stat<T> rstd,
                             Param<T> w, T* dx, Rows dr) {
  using A = acc_t<T>;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < M;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t i = base + threadIdx.y;
    const bool active = i < M;
    const double m = active ? static_cast<double>(mean[i]) : 0.0, r = active ? static_cast<double>(rstd[i]) : 0.0;
    double sum_gw = 0, sum_gwx = 0;
    if (active)
      for (int64_t j = threadIdx.x; j < N; j += blockDim.x) {
        const double gw = static_cast<double>(to_acc(g[gr.at(i, j)])) * static_cast<double>(w.at(j, A(1)));
        sum_gw += gw;
        sum_gwx += gw * (static_cast<double>(to_acc(x[xr.at(i, j)])) - m) * r;
      }
    sum_gw = row_reduce(sum_gw, Plus<double>());
    sum_gwx = row_reduce(sum_gwx, Plus<double>());
    if (!active) continue;
    const double n = static_cast<double>(N);
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) {
      const double gw = static_cast<double>(to_acc(g[gr.at(i, j)])) * static_cast<double>(w.at(j, A(1)));
      const double xhat = (static_cast<double>(to_acc(x[xr.at(i, j)])) - m) * r;
      dx[dr.at(i, j)] = from_acc<T>(math::layer_norm_dx(gw, xhat, r, n, sum_gw, sum_gwx));
    }
  }
}

template <class T>
__global__ void ln_params_kernel(const T* g, Rows gr, const T* x, Rows xr, int64_t M, int64_t N, Stat<T> mean,
                                 Stat<T> rstd, T* dw, int64_t dws, T* db, int64_t dbs) {
  EMBER_GRID_STRIDE(j, N) {
    double sw = 0, sb = 0;
    for (int64_t i = 0; i < M; ++i) {
      const double gv = static_cast<double>(to_acc(g[gr.at(i, j)]));
      sb += gv;
      sw += gv * (static_cast<double>(to_acc(x[xr.at(i, j)])) - static_cast<double>(mean[i])) *
            static_cast<double>(rstd[i]);
    }
    if (dw) dw[j * dws] = from_acc<T>(sw);
    if (db) db[j * dbs] = from_acc<T>(sb);
  }
}

}  // namespace

void batch_norm_stats(const TensorArg& x, const TensorArg& mean, const TensorArg& var) {
  launch_stats(x, mean, var, nullptr, 0.0);
}

void batch_norm_apply(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* weight,
                      const TensorArg* bias, const TensorArg& out) {
  const int64_t n = x.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(out);
  EMBER_CUDA_DISPATCH_FLOATING(x.dtype, "batch_norm", {
    bn_apply_kernel<scalar_t><<<grid_for(n, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(x), Ncs(x, x), device_ptr<scalar_t>(out), Ncs(x, out), Stat<scalar_t>(&mean),
        Stat<scalar_t>(&rstd), Param<scalar_t>(weight), Param<scalar_t>(bias));
  });
  check_launch("batch_norm apply");
}

void batch_norm_forward(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                        const TensorArg& out, const TensorArg& mean, const TensorArg& var, const TensorArg& rstd) {
  if (x.numel() == 0) return;
  if (cudnn_batch_norm_forward(x, weight, bias, eps, out, mean, var, rstd)) return;
  launch_stats(x, mean, var, &rstd, eps);
  batch_norm_apply(x, mean, rstd, weight, bias, out);
}

void batch_norm_backward(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                         const TensorArg* weight, bool training, const TensorArg* dx, const TensorArg* dweight,
                         const TensorArg* dbias) {
  if (x.numel() == 0) return;
  if (cudnn_batch_norm_backward(grad, x, mean, rstd, weight, training, dx, dweight, dbias)) return;
  DeviceContext& ctx = context_of(x);
  EMBER_CUDA_DISPATCH_FLOATING(x.dtype, "batch_norm_backward", {
    bn_backward_kernel<scalar_t><<<channel_grid(x.sizes[1], ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(grad), Ncs(x, grad), device_ptr<const scalar_t>(x), Ncs(x, x), Stat<scalar_t>(&mean),
        Stat<scalar_t>(&rstd), Param<scalar_t>(weight), training, dx ? device_ptr<scalar_t>(*dx) : nullptr,
        dx ? Ncs(x, *dx) : Ncs(x, x), dweight ? device_ptr<scalar_t>(*dweight) : nullptr,
        dweight ? dweight->strides[0] : 0, dbias ? device_ptr<scalar_t>(*dbias) : nullptr, dbias ? dbias->strides[0] : 0);
  });
  check_launch("batch_norm backward");
}

void layer_norm_forward(const TensorArg& x, const TensorArg* weight, const TensorArg* bias, double eps,
                        const TensorArg& out, const TensorArg& mean, const TensorArg& rstd) {
  const int64_t M = x.sizes[0], N = x.sizes[1];
  if (M == 0) return;
  DeviceContext& ctx = context_of(out);
  const RowLaunch l(M, N, ctx);
  EMBER_CUDA_DISPATCH_FLOATING(x.dtype, "layer_norm", {
    ln_forward_kernel<scalar_t><<<l.grid, l.block, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(x), Rows(x), device_ptr<scalar_t>(out), Rows(out), M, N, Param<scalar_t>(weight),
        Param<scalar_t>(bias), eps, Stat<scalar_t>(&mean), Stat<scalar_t>(&rstd));
  });
  check_launch("layer_norm");
}

void layer_norm_backward(const TensorArg& grad, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                         const TensorArg* weight, const TensorArg* dx, const TensorArg* dweight, const TensorArg* dbias) {
  const int64_t M = x.sizes[0], N = x.sizes[1];
  if (N == 0) return;  // (M == 0 still writes zero column sums, as the CPU does)
  DeviceContext& ctx = context_of(x);
  EMBER_CUDA_DISPATCH_FLOATING(x.dtype, "layer_norm_backward", {
    if (dx && M > 0) {
      const RowLaunch l(M, N, ctx);
      ln_dx_kernel<scalar_t><<<l.grid, l.block, 0, ctx.stream()>>>(
          device_ptr<const scalar_t>(grad), Rows(grad), device_ptr<const scalar_t>(x), Rows(x), M, N,
          Stat<scalar_t>(&mean), Stat<scalar_t>(&rstd), Param<scalar_t>(weight), device_ptr<scalar_t>(*dx), Rows(*dx));
      check_launch("layer_norm backward");
    }
    if (dweight || dbias) {
      ln_params_kernel<scalar_t><<<grid_for(N, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
          device_ptr<const scalar_t>(grad), Rows(grad), device_ptr<const scalar_t>(x), Rows(x), M, N,
          Stat<scalar_t>(&mean), Stat<scalar_t>(&rstd), dweight ? device_ptr<scalar_t>(*dweight) : nullptr,
          dweight ? dweight->strides[0] : 0, dbias ? device_ptr<scalar_t>(*dbias) : nullptr,
          dbias ? dbias->strides[0] : 0);
      check_launch("layer_norm backward (weight, bias)");
    }
  });
}

void register_norm_kernels(KernelTable& t) {
  t.set(kernels::kBatchNormStats, batch_norm_stats);
  t.set(kernels::kBatchNormApply, batch_norm_apply);
  t.set(kernels::kBatchNormForward, batch_norm_forward);
  t.set(kernels::kBatchNormBackward, batch_norm_backward);
  t.set(kernels::kLayerNormForward, layer_norm_forward);
  t.set(kernels::kLayerNormBackward, layer_norm_backward);
}

}  // namespace ember::cuda
