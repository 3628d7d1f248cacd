// CUDA reduction kernel: each block row (threadIdx.y) owns one kept position; its threads
// visit the reduced block with a stride of blockDim.x and combine with row_reduce. Arg-max/min
// partial results merge with math::extremum_better, which keeps the CPU's "first extremum,
// first NaN" rule whatever the visiting order.
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "backends/cuda/reduce.cuh"

namespace ember::cuda {

using kernels::ReduceOp;

namespace {

/// The CPU's sum accumulator: double for floats, int64 for bool, the integer type otherwise.
template <class T>
using sum_t = std::conditional_t<is_floating_v<T>, double, std::conditional_t<std::is_same_v<T, bool>, int64_t, acc_t<T>>>;

template <class A>
struct Best {
  A v;
  int64_t i;
};
template <class A>
struct BetterOf {
  bool is_max;
  __device__ Best<A> operator()(Best<A> a, Best<A> b) const {
    return math::extremum_better(b.v, b.i, a.v, a.i, is_max) ? b : a;
  }
};
struct Or {
  __device__ int operator()(int a, int b) const { return a | b; }
};
struct And {
  __device__ int operator()(int a, int b) const { return a & b; }
};

template <class T>
__global__ void reduce_kernel(ReduceOp op, const T* in, int64_t n_out, int64_t n_red, StridedIter<1> keep,
                              StridedIter<1> red, bool red_flat, T* out, bool* out_bool, int64_t* indices) {
  using A = acc_t<T>;
  using S = sum_t<T>;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < n_out;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t row = base + threadIdx.y;
    const bool active = row < n_out;
    const T* x = in + (active ? keep.offset(0, row) : 0);
    auto at = [&](int64_t j) { return to_acc(x[red_flat ? j : red.offset(0, j)]); };
    if (op == ReduceOp::Sum) {
      S acc = 0;
      if (active)
        for (int64_t j = threadIdx.x; j < n_red; j += blockDim.x) acc += static_cast<S>(at(j));
      acc = row_reduce(acc, Plus<S>());
      if (active && threadIdx.x == 0) {
        if constexpr (std::is_same_v<T, bool>) out[row] = acc != 0;
        else out[row] = from_acc<T>(static_cast<A>(acc));
      }
    } else if (op == ReduceOp::Max || op == ReduceOp::Min) {
      const bool is_max = op == ReduceOp::Max;
      Best<A> b{A{}, -1};
      if (active)
        for (int64_t j = threadIdx.x; j < n_red; j += blockDim.x) {
          const A v = at(j);
          if (math::extremum_better(v, j, b.v, b.i, is_max)) b = Best<A>{v, j};
        }
      b = row_reduce(b, BetterOf<A>{is_max});
      if (active && threadIdx.x == 0) {
        out[row] = from_acc<T>(b.v);
        if (indices) indices[row] = b.i;
      }
    } else {
      int any = 0, all = 1;
      if (active)
        for (int64_t j = threadIdx.x; j < n_red; j += blockDim.x) {
          const int nz = at(j) != A(0) ? 1 : 0;
          any |= nz;
          all &= nz;
        }
      any = row_reduce(any, Or());
      all = row_reduce(all, And());
      if (active && threadIdx.x == 0) out_bool[row] = op == ReduceOp::Any ? any != 0 : all != 0;
    }
  }
}

}  // namespace

void reduce(ReduceOp op, const TensorArg& in, int64_t n_reduced, const TensorArg& out, const TensorArg* indices) {
  const int64_t nd = in.dim(), nkeep = nd - n_reduced;
  EMBER_CHECK(n_reduced >= 0 && nkeep >= 0, "reduce (cuda): cannot reduce ", n_reduced, " dims of a ", nd, "-d tensor");
  const Shape keep_sizes(in.sizes.begin(), in.sizes.begin() + nkeep), keep_strides(in.strides.begin(), in.strides.begin() + nkeep);
  const Shape red_sizes(in.sizes.begin() + nkeep, in.sizes.end()), red_strides(in.strides.begin() + nkeep, in.strides.end());
  const int64_t n_out = shape_numel(keep_sizes), n_red = shape_numel(red_sizes);
  if (n_out == 0) return;
  DeviceContext& ctx = context_of(out);
  const StridedIter<1> keep = make_iter<1>(keep_sizes, {&keep_strides}, "reduce");
  const StridedIter<1> red = make_iter<1>(red_sizes, {&red_strides}, "reduce");
  const RowLaunch l(n_out, n_red, ctx);
  const bool to_bool = op == ReduceOp::Any || op == ReduceOp::All;
  int64_t* idx = indices ? device_ptr<int64_t>(*indices) : nullptr;
  EMBER_CUDA_DISPATCH_ALL(in.dtype, "reduce", {
    reduce_kernel<scalar_t><<<l.grid, l.block, 0, ctx.stream()>>>(
        op, device_ptr<const scalar_t>(in), n_out, n_red, keep, red, all_dense(red),
        to_bool ? nullptr : device_ptr<scalar_t>(out), to_bool ? device_ptr<bool>(out) : nullptr, idx);
  });
  check_launch("reduce");
}

void register_reduce_kernels(KernelTable& t) { t.set(kernels::kReduce, reduce); }

}  // namespace ember::cuda
