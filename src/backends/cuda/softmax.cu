// CUDA softmax, log-softmax and the fused losses. Rows ([rows..., C], any strides) map to block
// rows; each thread folds its share of a row into a running log-sum-exp (math::lse_push) and
// the partial results merge in a fixed tree (math::lse_merge), so a row is read twice, not
// three times. The forwards of the losses check targets on the device and throw after one
// wait for the stream; the backwards only guard their memory accesses (their targets were
// checked by the forward).
#include <climits>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "backends/cuda/softmax.cuh"

namespace ember::cuda {
namespace {

template <class A>
struct LseMerge {
  __device__ math::Lse<A> operator()(math::Lse<A> a, math::Lse<A> b) const { return math::lse_merge(a, b); }
};

/// Outer (row) sizes and the per-operand row strides of [rows..., C] operands.
template <int N>
StridedIter<N> rows_iter(const std::array<const TensorArg*, N>& ops, const char* what) {
  const TensorArg& a = *ops[0];
  const Shape outer = a.dim() ? Shape(a.sizes.begin(), a.sizes.end() - 1) : Shape();
  std::array<Shape, N> st;
  std::array<const Shape*, N> sp;
  for (int k = 0; k < N; ++k) {
    st[k] = ops[k]->dim() ? Shape(ops[k]->strides.begin(), ops[k]->strides.end() - 1) : Shape();
    sp[k] = &st[k];
  }
  return make_iter<N>(outer, sp, what);
}
int64_t cols_of(const TensorArg& a) { return a.dim() ? a.sizes.back() : 1; }
int64_t col_stride(const TensorArg& a) { return a.dim() ? a.strides.back() : 1; }

template <class T>
__global__ void softmax_kernel(const T* x, T* y, int64_t rows, int64_t C, int64_t si, int64_t so, StridedIter<2> it,
                               bool log) {
  using A = acc_t<T>;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool active = row < rows;
    int64_t o[2] = {0, 0};
    if (active) it.offsets(row, o);
    math::Lse<A> acc;
    if (active)
      for (int64_t j = threadIdx.x; j < C; j += blockDim.x) math::lse_push(acc, to_acc(x[o[0] + j * si]));
    acc = row_reduce(acc, LseMerge<A>());
    if (!active) continue;  // no block-wide synchronisation follows
    if (log) {
      const A lse = math::lse_value(acc);
      for (int64_t j = threadIdx.x; j < C; j += blockDim.x) y[o[1] + j * so] = from_acc<T>(to_acc(x[o[0] + j * si]) - lse);
    } else {
      const A m = math::lse_shift(acc), inv = A(1) / acc.s;
      for (int64_t j = threadIdx.x; j < C; j += blockDim.x)
        y[o[1] + j * so] = from_acc<T>(math::ember_exp(to_acc(x[o[0] + j * si]) - m) * inv);
    }
  }
}

template <class T>
__global__ void softmax_backward_kernel(const T* g, const T* y, T* dx, int64_t rows, int64_t C, int64_t sg, int64_t sy,
                                        int64_t sx, StridedIter<3> it, bool log) {
  using A = acc_t<T>;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool active = row < rows;
    int64_t o[3] = {0, 0, 0};
    if (active) it.offsets(row, o);
    A s = 0;
    if (active)
      for (int64_t j = threadIdx.x; j < C; j += blockDim.x)
        s += log ? to_acc(g[o[0] + j * sg]) : to_acc(g[o[0] + j * sg]) * to_acc(y[o[1] + j * sy]);
    s = row_reduce(s, Plus<A>());
    if (!active) continue;
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x) {
      const A gv = to_acc(g[o[0] + j * sg]), yv = to_acc(y[o[1] + j * sy]);
      dx[o[2] + j * sx] = from_acc<T>(log ? gv - math::ember_exp(yv) * s : yv * (gv - s));
    }
  }
}

/// Flags a target outside [0,C): the flag keeps INT_MAX - (the smallest bad row), so the host
/// names the first bad target, as the CPU's sequential check does (0: none).
__device__ __forceinline__ bool bad_target(int64_t t, int64_t C, int64_t row, int* flag) {
  if (t >= 0 && t < C) return false;
  if (flag) atomicMax(flag, static_cast<int>(INT_MAX - (row < INT_MAX - 1 ? row : INT_MAX - 1)));
  return true;
}

template <class T>
__global__ void cross_entropy_kernel(const T* x, int64_t N, int64_t C, int64_t s0, int64_t s1, const int64_t* target,
                                     int64_t ts, T* loss, stat_t<T>* lse, double ls, int* flag) {
  using A = acc_t<T>;
  const A a_ls = static_cast<A>(ls), a_keep = static_cast<A>(1.0 - ls);
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < N;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t i = base + threadIdx.y;
    const bool active = i < N;
    const T* xr = x + (active ? i * s0 : 0);
    math::Lse<A> acc;
    A sum_x = 0;
    if (active)
      for (int64_t j = threadIdx.x; j < C; j += blockDim.x) {
        const A v = to_acc(xr[j * s1]);
        math::lse_push(acc, v);
        sum_x += v;
      }
    acc = row_reduce(acc, LseMerge<A>());
    sum_x = row_reduce(sum_x, Plus<A>());
    if (!active || threadIdx.x != 0) continue;
    const int64_t t = target[i * ts];
    if (bad_target(t, C, i, flag)) continue;
    const A r = math::lse_value(acc);
    A li = a_keep * (r - to_acc(xr[t * s1]));
    if (ls != 0.0) li += a_ls * (r - sum_x / static_cast<A>(C));
    loss[i] = from_acc<T>(li);
    lse[i] = static_cast<stat_t<T>>(r);
  }
}

template <class T>
__global__ void cross_entropy_backward_kernel(const T* x, int64_t N, int64_t C, int64_t s0, int64_t s1,
                                              const int64_t* target, int64_t ts, const stat_t<T>* lse, const T* g,
                                              int64_t gs, double scale, double ls, T* d) {
  using A = acc_t<T>;
  const A uniform = static_cast<A>(ls / static_cast<double>(C)), keep = static_cast<A>(1.0 - ls);
  EMBER_GRID_STRIDE(k, N * C) {
    const int64_t i = k / C, j = k % C, t = target[i * ts];
    const A gi = to_acc(g[i * gs]) * static_cast<A>(scale);
    d[k] = from_acc<T>(math::cross_entropy_grad(to_acc(x[i * s0 + j * s1]), static_cast<A>(lse[i]), uniform, keep,
                                                j == t, gi));
  }
}

template <class T>
__global__ void nll_kernel(const T* x, int64_t N, int64_t C, int64_t s0, int64_t s1, const int64_t* target, int64_t ts,
                           T* loss, int* flag) {
  EMBER_GRID_STRIDE(i, N) {
    const int64_t t = target[i * ts];
    if (bad_target(t, C, i, flag)) continue;
    loss[i] = from_acc<T>(-to_acc(x[i * s0 + t * s1]));
  }
}

template <class T>
__global__ void nll_backward_kernel(const int64_t* target, int64_t ts, const T* g, int64_t gs, double scale, T* d,
                                    int64_t N, int64_t C) {
  using A = acc_t<T>;
  EMBER_GRID_STRIDE(k, N * C) {
    const int64_t i = k / C, j = k % C;
    d[k] = j == target[i * ts] ? from_acc<T>(-to_acc(g[i * gs]) * static_cast<A>(scale)) : from_acc<T>(A(0));
  }
}

/// After a loss forward: throws, as the CPU does, when a kernel flagged a target.
void check_targets(DeviceContext& ctx, const char* op, const TensorArg& target, int64_t C) {
  const int bad = ctx.read_error_flag();
  if (bad == 0) return;
  const int64_t row = INT_MAX - static_cast<int64_t>(bad);
  int64_t v = 0;
  EMBER_CUDA_CHECK(cudaMemcpy(&v, device_ptr<const int64_t>(target) + row * target.strides[0], sizeof v,
                              cudaMemcpyDeviceToHost),
                   op);
  EMBER_FAIL(op, ": target ", v, " at index ", row, " is out of range [0, ", C, ")");
}

void check_target_dtype(const TensorArg& target, const char* op) {
  EMBER_CHECK(target.dtype == DType::Int64, op, " (cuda): targets must be int64, got ", dtype_name(target.dtype));
}

}  // namespace

void softmax(const TensorArg& in, const TensorArg& out, bool log) {
  const int64_t n = in.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(out);
  const int64_t C = cols_of(in), rows = n / C;
  const StridedIter<2> it = rows_iter<2>({&in, &out}, "softmax");
  const RowLaunch l(rows, C, ctx);
  EMBER_CUDA_DISPATCH_FLOATING(in.dtype, log ? "log_softmax" : "softmax", {
    softmax_kernel<scalar_t><<<l.grid, l.block, 0, ctx.stream()>>>(device_ptr<const scalar_t>(in), device_ptr<scalar_t>(out),
                                                                   rows, C, col_stride(in), col_stride(out), it, log);
  });
  check_launch("softmax");
}

void softmax_backward(const TensorArg& grad, const TensorArg& out, const TensorArg& grad_in, bool log) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(grad_in);
  const int64_t C = cols_of(out), rows = n / C;
  const StridedIter<3> it = rows_iter<3>({&grad, &out, &grad_in}, "softmax_backward");
  const RowLaunch l(rows, C, ctx);
  EMBER_CUDA_DISPATCH_FLOATING(out.dtype, "softmax_backward", {
    softmax_backward_kernel<scalar_t><<<l.grid, l.block, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(grad), device_ptr<const scalar_t>(out), device_ptr<scalar_t>(grad_in), rows, C,
        col_stride(grad), col_stride(out), col_stride(grad_in), it, log);
  });
  check_launch("softmax backward");
}

void cross_entropy_forward(const TensorArg& logits, const TensorArg& target, const TensorArg& loss, const TensorArg& lse,
                           double label_smoothing) {
  check_target_dtype(target, "cross_entropy");
  const int64_t N = logits.sizes[0], C = logits.sizes[1];
  if (N == 0) return;
  DeviceContext& ctx = context_of(logits);
  const RowLaunch l(N, C, ctx);
  int* flag = ctx.error_flag();
  EMBER_CUDA_DISPATCH_FLOATING(logits.dtype, "cross_entropy", {
    cross_entropy_kernel<scalar_t><<<l.grid, l.block, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(logits), N, C, logits.strides[0], logits.strides[1], device_ptr<const int64_t>(target),
        target.strides[0], device_ptr<scalar_t>(loss), device_ptr<stat_t<scalar_t>>(lse), label_smoothing, flag);
  });
  check_launch("cross_entropy");
  check_targets(ctx, "cross_entropy", target, C);
}

void cross_entropy_backward(const TensorArg& logits, const TensorArg& target, const TensorArg& lse, const TensorArg& grad,
                            double scale, double label_smoothing, const TensorArg& dlogits) {
  check_target_dtype(target, "cross_entropy");
  const int64_t N = logits.sizes[0], C = logits.sizes[1];
  if (N * C == 0) return;
  DeviceContext& ctx = context_of(dlogits);
  EMBER_CUDA_DISPATCH_FLOATING(logits.dtype, "cross_entropy_backward", {
    cross_entropy_backward_kernel<scalar_t><<<grid_for(N * C, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(logits), N, C, logits.strides[0], logits.strides[1], device_ptr<const int64_t>(target),
        target.strides[0], device_ptr<const stat_t<scalar_t>>(lse), device_ptr<const scalar_t>(grad),
        grad.strides.empty() ? 0 : grad.strides[0], scale, label_smoothing, device_ptr<scalar_t>(dlogits));
  });
  check_launch("cross_entropy backward");
}

void nll_forward(const TensorArg& log_probs, const TensorArg& target, const TensorArg& loss) {
  check_target_dtype(target, "nll_loss");
  const int64_t N = log_probs.sizes[0], C = log_probs.sizes[1];
  if (N == 0) return;
  DeviceContext& ctx = context_of(log_probs);
  int* flag = ctx.error_flag();
  EMBER_CUDA_DISPATCH_FLOATING(log_probs.dtype, "nll_loss", {
    nll_kernel<scalar_t><<<grid_for(N, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(log_probs), N, C, log_probs.strides[0], log_probs.strides[1],
        device_ptr<const int64_t>(target), target.strides[0], device_ptr<scalar_t>(loss), flag);
  });
  check_launch("nll_loss");
  check_targets(ctx, "nll_loss", target, C);
}

void nll_backward(const TensorArg& target, const TensorArg& grad, double scale, const TensorArg& dlog_probs) {
  check_target_dtype(target, "nll_loss");
  const int64_t N = dlog_probs.sizes[0], C = dlog_probs.sizes[1];
  if (N * C == 0) return;
  DeviceContext& ctx = context_of(dlog_probs);
  EMBER_CUDA_DISPATCH_FLOATING(dlog_probs.dtype, "nll_loss_backward", {
    nll_backward_kernel<scalar_t><<<grid_for(N * C, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const int64_t>(target), target.strides[0], device_ptr<const scalar_t>(grad),
        grad.strides.empty() ? 0 : grad.strides[0], scale, device_ptr<scalar_t>(dlog_probs), N, C);
  });
  check_launch("nll_loss backward");
}

void register_softmax_kernels(KernelTable& t) {
  t.set(kernels::kSoftmax, softmax);
  t.set(kernels::kSoftmaxBackward, softmax_backward);
  t.set(kernels::kCrossEntropyForward, cross_entropy_forward);
  t.set(kernels::kCrossEntropyBackward, cross_entropy_backward);
  t.set(kernels::kNllForward, nll_forward);
  t.set(kernels::kNllBackward, nll_backward);
}

}  // namespace ember::cuda
