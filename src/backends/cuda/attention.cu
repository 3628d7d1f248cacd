// CUDA attention row kernels: rows of contiguous (B, L, S) operands map to block rows (as
// softmax.cu). Forward: each thread folds its share of the row's attended keys into a running
// log-sum-exp (math::lse_push), the block merges them, then writes p (zeros past the causal
// diagonal) and the dropped pd. Backward: the block sums g * p, then writes
// ds = scale * p * (g - sum) with g the gradient times the redrawn dropout mask.
#include "backends/cuda/attention.cuh"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "ember/half.h"

namespace ember::cuda {
namespace {

template <class A>
struct LseMergeOp {
  __device__ math::Lse<A> operator()(math::Lse<A> a, math::Lse<A> b) const { return math::lse_merge(a, b); }
};

template <class T>
__global__ void attention_softmax_kernel(const T* s, T* p, T* pd, int64_t rows, int64_t L, int64_t S, bool causal,
                                         uint64_t seed, uint64_t first, uint64_t threshold, acc_t<T> keep) {
  using A = acc_t<T>;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool active = row < rows;
    const int64_t n = !active ? 0 : causal ? EMBER_CAUSAL_KEYS(row % L, S) : S;
    const int64_t o = active ? row * S : 0;
    math::Lse<A> acc;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) math::lse_push(acc, to_acc(s[o + j]));
    acc = row_reduce(acc, LseMergeOp<A>());  // every read of the row is done: p may be s
    if (!active) continue;                   // no block-wide synchronisation follows
    const A m = math::lse_shift(acc), inv = A(1) / acc.s;
    for (int64_t j = threadIdx.x; j < S; j += blockDim.x) {
      const T y = from_acc<T>(j < n ? math::ember_exp(to_acc(s[o + j]) - m) * inv : A(0));
      p[o + j] = y;
      if (pd)
        pd[o + j] = from_acc<T>(to_acc(y) * math::dropout_mask<A>(seed, first + static_cast<uint64_t>(o + j),
                                                                   threshold, keep));
    }
  }
}

template <class T>
__global__ void attention_softmax_backward_kernel(const T* dpd, const T* p, T* ds, int64_t rows, int64_t L, int64_t S,
                                                  bool causal, acc_t<T> scale, bool dropped, uint64_t seed,
                                                  uint64_t first, uint64_t threshold, acc_t<T> keep) {
  using A = acc_t<T>;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool active = row < rows;
    const int64_t n = !active ? 0 : causal ? EMBER_CAUSAL_KEYS(row % L, S) : S;
    const int64_t o = active ? row * S : 0;
    auto grad = [&](int64_t j) {
      const A g = to_acc(dpd[o + j]);
      return dropped ? g * math::dropout_mask<A>(seed, first + static_cast<uint64_t>(o + j), threshold, keep) : g;
    };
    A dot = 0;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) dot += grad(j) * to_acc(p[o + j]);
    dot = row_reduce(dot, Plus<A>());  // every read of the row is done: ds may be dpd
    if (!active) continue;
    for (int64_t j = threadIdx.x; j < S; j += blockDim.x)
      ds[o + j] = from_acc<T>(j < n ? EMBER_SOFTMAX_GRAD(to_acc(p[o + j]), grad(j), dot, scale) : A(0));
  }
}

/// keep rounded to dtype t and back, as the CPU kernels round the dropout mask value.
double keep_in(DType t, double keep) {
  switch (t) {
    case DType::Float32: return static_cast<float>(keep);
    case DType::BFloat16: return static_cast<float>(BFloat16(static_cast<float>(keep)));
    case DType::Float16: return static_cast<float>(Half(static_cast<float>(keep)));
    default: return keep;
  }
}

/// (rows, L, S) of contiguous (B, L, S) operands of one shape and dtype; throws otherwise.
struct Geometry {
  int64_t rows, L, S;
};
Geometry geometry_of(const char* op, std::initializer_list<const TensorArg*> ts) {
  const TensorArg& a = **ts.begin();
  for (const TensorArg* t : ts)
    EMBER_CHECK(t->contiguous() && t->dim() >= 2 && t->sizes == a.sizes && t->dtype == a.dtype, op,
                " (cuda): operands must be contiguous (B, L, S) tensors of one shape and dtype");
  const int64_t S = a.sizes.back(), L = a.sizes[a.sizes.size() - 2];
  return {S > 0 ? a.numel() / S : 0, L, S};
}

}  // namespace

void attention_softmax(const TensorArg& s, const TensorArg& p, const TensorArg* pd, bool causal, uint64_t seed,
                       uint64_t first, uint64_t threshold, double keep) {
  const Geometry g = pd ? geometry_of("attention_softmax", {&s, &p, pd}) : geometry_of("attention_softmax", {&s, &p});
  if (g.rows == 0) return;
  DeviceContext& ctx = context_of(p);
  const RowLaunch l(g.rows, g.S, ctx);
  const double k = keep_in(s.dtype, keep);
  EMBER_CUDA_DISPATCH_FLOATING(s.dtype, "attention_softmax", {
    attention_softmax_kernel<scalar_t><<<l.grid, l.block, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(s), device_ptr<scalar_t>(p), pd ? device_ptr<scalar_t>(*pd) : nullptr, g.rows, g.L,
        g.S, causal, seed, first, threshold, static_cast<acc_t<scalar_t>>(k));
  });
  check_launch("attention_softmax");
}

void attention_softmax_backward(const TensorArg& dpd, const TensorArg& p, const TensorArg& ds, bool causal,
                                double scale, uint64_t seed, uint64_t first, uint64_t threshold, double keep) {
  const Geometry g = geometry_of("attention_softmax_backward", {&dpd, &p, &ds});
  if (g.rows == 0) return;
  DeviceContext& ctx = context_of(p);
  const RowLaunch l(g.rows, g.S, ctx);
  const double k = keep_in(p.dtype, keep);
  const bool dropped = threshold != 0 || keep != 1.0;
  EMBER_CUDA_DISPATCH_FLOATING(p.dtype, "attention_softmax_backward", {
    attention_softmax_backward_kernel<scalar_t><<<l.grid, l.block, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(dpd), device_ptr<const scalar_t>(p), device_ptr<scalar_t>(ds), g.rows, g.L, g.S,
        causal, static_cast<acc_t<scalar_t>>(scale), dropped, seed, first, threshold,
        static_cast<acc_t<scalar_t>>(k));
  });
  check_launch("attention_softmax_backward");
}

void register_attention_kernels(KernelTable& t) {
  t.set(kernels::kAttentionSoftmax, attention_softmax);
  t.set(kernels::kAttentionSoftmaxBackward, attention_softmax_backward);
}

}  // namespace ember::cuda
