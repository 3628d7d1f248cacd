// Device-side building blocks shared by the .cu kernel files: the storage type of each
// dtype and its accumulation type, dtype dispatch, grid sizing, grid-stride loops and the
// per-row block reduction used by reduce/softmax/norm kernels.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "backends/cuda/device_context.h"
#include "core/kernel_math.h"
#include "backends/cuda/strided.h"

namespace ember::cuda {

/// float for the 16-bit floats, the type itself otherwise (as the CPU's acc_t).
template <class T>
struct AccOf {
  using type = T;
};
template <>
struct AccOf<__half> {
  using type = float;
};
template <>
struct AccOf<__nv_bfloat16> {
  using type = float;
};
template <class T>
using acc_t = typename AccOf<T>::type;

template <class T>
inline constexpr bool is_floating_v = std::is_floating_point_v<acc_t<T>>;

template <class T>
__device__ __forceinline__ acc_t<T> to_acc(T v) {
  if constexpr (std::is_same_v<T, __half>) return __half2float(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(v);
  else return v;
}
/// Round an accumulator value to the storage type (round-to-nearest-even for 16-bit floats).
template <class T, class A>
__device__ __forceinline__ T from_acc(A v) {
  if constexpr (std::is_same_v<T, __half>) return __float2half_rn(static_cast<float>(v));
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(static_cast<float>(v));
  else return static_cast<T>(v);
}

/// Statistics type of norms and fused losses: double for double, float otherwise.
template <class T>
using stat_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

inline constexpr int kBlock = 256;

/// Blocks for n independent items at `block` threads each, capped so grid-stride loops do the rest.
inline unsigned grid_for(int64_t n, int block, const DeviceContext& ctx) {
  const int64_t want = (n + block - 1) / block;
  const int64_t cap = static_cast<int64_t>(ctx.sm_count()) * 32;
  return static_cast<unsigned>(want < 1 ? 1 : (want < cap ? want : cap));
}

#define EMBER_GRID_STRIDE(i, n)                                                                 \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);       \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

/// Threads per row for row-wise reductions over `cols` elements: a power of two in [32, 256];
/// a block holds kBlock / that rows.
inline int row_threads(int64_t cols) {
  int t = 32;
  while (t < kBlock && t < cols) t *= 2;
  return t;
}

/// Scratch in shared memory for one value per thread of a kBlock-thread block.
template <class V>
__device__ __forceinline__ V* shared_scratch() {
  __shared__ alignas(16) unsigned char raw[kBlock * sizeof(V)];
  return reinterpret_cast<V*>(raw);
}

/// Combines v over the threads of this block row (threadIdx.y) with op, in a fixed tree order
/// (deterministic); every thread of the row gets the result. Every thread of the block must
/// call it (it synchronises the block). blockDim.x must be a power of two.
template <class V, class Op>
__device__ V row_reduce(V v, Op op) {
  V* sh = shared_scratch<V>();
  const int bx = blockDim.x, base = threadIdx.y * bx, t = threadIdx.x;
  sh[base + t] = v;
  __syncthreads();
  for (int s = bx / 2; s > 0; s >>= 1) {
    if (t < s) sh[base + t] = op(sh[base + t], sh[base + t + s]);
    __syncthreads();
  }
  V r = sh[base];
  __syncthreads();
  return r;
}

template <class V>
struct Plus {
  __device__ V operator()(V a, V b) const { return a + b; }
};

/// Launch shape for `rows` rows of `cols` elements: block (tx, kBlock/tx), grid over row groups.
struct RowLaunch {
  dim3 block, grid;
  RowLaunch(int64_t rows, int64_t cols, const DeviceContext& ctx) {
    const int tx = row_threads(cols);
    block = dim3(tx, kBlock / tx);
    const int64_t groups = (rows + block.y - 1) / block.y;
    const int64_t cap = static_cast<int64_t>(ctx.sm_count()) * 16;
    grid = dim3(static_cast<unsigned>(groups < 1 ? 1 : (groups < cap ? groups : cap)));
  }
};

}  // namespace ember::cuda

#define EMBER_CUDA_CASE(DT, T, ...) \
  case ::ember::DType::DT: {        \
    using scalar_t = T;             \
    __VA_ARGS__;                    \
    break;                          \
  }

/// Runs the body with scalar_t bound to the device storage type of a floating dtype.
#define EMBER_CUDA_DISPATCH_FLOATING(dtype, opname, ...)                                                \
  switch (dtype) {                                                                                      \
    EMBER_CUDA_CASE(Float32, float, __VA_ARGS__)                                                        \
    EMBER_CUDA_CASE(Float64, double, __VA_ARGS__)                                                       \
    EMBER_CUDA_CASE(Float16, __half, __VA_ARGS__)                                                       \
    EMBER_CUDA_CASE(BFloat16, __nv_bfloat16, __VA_ARGS__)                                               \
    default:                                                                                            \
      EMBER_FAIL(opname, " (cuda): unsupported dtype ", ::ember::dtype_name(dtype), " (floating only)"); \
  }

/// Runs the body with scalar_t bound to the device storage type of any dtype.
#define EMBER_CUDA_DISPATCH_ALL(dtype, opname, ...)            \
  switch (dtype) {                                             \
    EMBER_CUDA_CASE(Float32, float, __VA_ARGS__)               \
    EMBER_CUDA_CASE(Float64, double, __VA_ARGS__)              \
    EMBER_CUDA_CASE(Float16, __half, __VA_ARGS__)              \
    EMBER_CUDA_CASE(BFloat16, __nv_bfloat16, __VA_ARGS__)      \
    EMBER_CUDA_CASE(Int64, int64_t, __VA_ARGS__)               \
    EMBER_CUDA_CASE(Int32, int32_t, __VA_ARGS__)               \
    EMBER_CUDA_CASE(UInt8, uint8_t, __VA_ARGS__)               \
    EMBER_CUDA_CASE(Bool, bool, __VA_ARGS__)                   \
    default:                                                   \
      EMBER_FAIL(opname, " (cuda): unsupported dtype");        \
  }
