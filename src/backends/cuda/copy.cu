// CUDA copy/convert and fill kernels (any dtypes, any strides). Same-dtype dense copies are one
// cudaMemcpyAsync, same-dtype strided copies move raw element bits, conversions go through one
// kernel that switches on the two dtypes at run time (uniform across threads), which keeps
// the number of instantiations at a handful instead of 64 dtype pairs.
#include <cstring>

#include "backends/cuda/copy.cuh"
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "core/kernels/copy.h"

namespace ember::cuda {
namespace {

/// One element of any dtype, as the CPU's convert<Dst>(Src) sees it: floating values in
/// double (exact for every floating storage type), integers and bools in int64.
struct AnyScalar {
  double f;
  int64_t i;
  bool is_float;
};

__device__ __forceinline__ AnyScalar load_any(DType t, const void* p, int64_t k) {
  switch (t) {
    case DType::Float32: return {static_cast<const float*>(p)[k], 0, true};
    case DType::Float64: return {static_cast<const double*>(p)[k], 0, true};
    case DType::Float16: return {__half2float(static_cast<const __half*>(p)[k]), 0, true};
    case DType::BFloat16: return {__bfloat162float(static_cast<const __nv_bfloat16*>(p)[k]), 0, true};
    case DType::Int64: return {0, static_cast<const int64_t*>(p)[k], false};
    case DType::Int32: return {0, static_cast<const int32_t*>(p)[k], false};
    case DType::UInt8: return {0, static_cast<const uint8_t*>(p)[k], false};
    case DType::Bool: return {0, static_cast<const bool*>(p)[k] ? 1 : 0, false};
  }
  return {0, 0, false};
}

/// Stores v converted as the CPU's convert<Dst>: bool = nonzero; 16-bit floats through float;
/// other types by static_cast of the source's own value (no detour through double for ints).
__device__ __forceinline__ void store_any(DType t, void* p, int64_t k, AnyScalar v) {
  switch (t) {
    case DType::Float32: static_cast<float*>(p)[k] = v.is_float ? static_cast<float>(v.f) : static_cast<float>(v.i); break;
    case DType::Float64: static_cast<double*>(p)[k] = v.is_float ? v.f : static_cast<double>(v.i); break;
    case DType::Float16:
      static_cast<__half*>(p)[k] = __float2half_rn(v.is_float ? static_cast<float>(v.f) : static_cast<float>(v.i));
      break;
    case DType::BFloat16:
      static_cast<__nv_bfloat16*>(p)[k] =
          __float2bfloat16_rn(v.is_float ? static_cast<float>(v.f) : static_cast<float>(v.i));
      break;
    case DType::Int64: static_cast<int64_t*>(p)[k] = v.is_float ? static_cast<int64_t>(v.f) : v.i; break;
    case DType::Int32:
      static_cast<int32_t*>(p)[k] = v.is_float ? static_cast<int32_t>(v.f) : static_cast<int32_t>(v.i);
      break;
    case DType::UInt8:
      static_cast<uint8_t*>(p)[k] = v.is_float ? static_cast<uint8_t>(v.f) : static_cast<uint8_t>(v.i);
      break;
    case DType::Bool: static_cast<bool*>(p)[k] = v.is_float ? v.f != 0.0 : v.i != 0; break;
  }
}

__global__ void convert_kernel(DType st, const void* src, DType dt, void* dst, int64_t n, StridedIter<2> it,
                               bool dense) {
  EMBER_GRID_STRIDE(i, n) {
    int64_t o[2] = {i, i};
    if (!dense) it.offsets(i, o);
    store_any(dt, dst, o[1], load_any(st, src, o[0]));
  }
}

/// Same-dtype strided copy moving raw bits of U (1, 2, 4 or 8 bytes).
template <class U>
__global__ void copy_bits_kernel(const U* src, U* dst, int64_t n, StridedIter<2> it) {
  EMBER_GRID_STRIDE(i, n) {
    int64_t o[2];
    it.offsets(i, o);
    dst[o[1]] = src[o[0]];
  }
}

template <class U>
__global__ void fill_bits_kernel(U* dst, U value, int64_t n, StridedIter<1> it, bool dense) {
  EMBER_GRID_STRIDE(i, n) { dst[dense ? i : it.offset(0, i)] = value; }
}

/// The bits of value converted to dtype t exactly as the CPU fill kernel converts it.
uint64_t fill_bits(DType t, double value) {
  uint64_t bits = 0;
  auto put = [&](auto v) { std::memcpy(&bits, &v, sizeof v); };
  switch (t) {
    case DType::Float32: put(static_cast<float>(value)); break;
    case DType::Float64: put(value); break;
    case DType::Float16: put(Half(static_cast<float>(value)).bits); break;
    case DType::BFloat16: put(BFloat16(static_cast<float>(value)).bits); break;
    case DType::Int64: put(static_cast<int64_t>(value)); break;
    case DType::Int32: put(static_cast<int32_t>(value)); break;
    case DType::UInt8: put(static_cast<uint8_t>(value)); break;
    case DType::Bool: put(static_cast<uint8_t>(value != 0.0)); break;
  }
  return bits;
}

void copy_kernel(const TensorArg& src, const TensorArg& dst) { copy_tensor(src, dst); }
void fill_kernel(const TensorArg& dst, double value) { fill_tensor(dst, value); }

}  // namespace

void copy_tensor(const TensorArg& src, const TensorArg& dst) {
  EMBER_CHECK(src.sizes == dst.sizes, "copy: sizes ", shape_str(src.sizes), " and ", shape_str(dst.sizes), " differ");
  const int64_t n = dst.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(dst);
  cudaStream_t s = ctx.stream();
  const StridedIter<2> it = make_iter<2>(dst.sizes, {&src.strides, &dst.strides}, "copy");
  const size_t es = dtype_size(dst.dtype);
  const unsigned grid = grid_for(n, kBlock, ctx);
  if (src.dtype == dst.dtype) {
    if (all_dense(it)) {
      EMBER_CUDA_CHECK(cudaMemcpyAsync(device_ptr_bytes(dst), device_ptr_bytes(src), static_cast<size_t>(n) * es,
                                       cudaMemcpyDeviceToDevice, s),
                       "copy");
      return;
    }
    switch (es) {
      case 1: copy_bits_kernel<<<grid, kBlock, 0, s>>>(device_ptr<const uint8_t>(src), device_ptr<uint8_t>(dst), n, it); break;
      case 2: copy_bits_kernel<<<grid, kBlock, 0, s>>>(device_ptr<const uint16_t>(src), device_ptr<uint16_t>(dst), n, it); break;
      case 4: copy_bits_kernel<<<grid, kBlock, 0, s>>>(device_ptr<const uint32_t>(src), device_ptr<uint32_t>(dst), n, it); break;
      default: copy_bits_kernel<<<grid, kBlock, 0, s>>>(device_ptr<const uint64_t>(src), device_ptr<uint64_t>(dst), n, it); break;
    }
    check_launch("copy");
    return;
  }
  convert_kernel<<<grid, kBlock, 0, s>>>(src.dtype, device_ptr_bytes(src), dst.dtype, device_ptr_bytes(dst), n, it,
                                         all_dense(it));
  check_launch("copy (convert)");
}

void fill_tensor(const TensorArg& dst, double value) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(dst);
  cudaStream_t s = ctx.stream();
  const StridedIter<1> it = make_iter<1>(dst.sizes, {&dst.strides}, "fill");
  const bool dense = all_dense(it);
  const uint64_t bits = fill_bits(dst.dtype, value);
  const size_t es = dtype_size(dst.dtype);
  if (dense && bits == 0) {
    EMBER_CUDA_CHECK(cudaMemsetAsync(device_ptr_bytes(dst), 0, static_cast<size_t>(n) * es, s), "fill");
    return;
  }
  const unsigned grid = grid_for(n, kBlock, ctx);
  switch (es) {
    case 1: fill_bits_kernel<<<grid, kBlock, 0, s>>>(device_ptr<uint8_t>(dst), static_cast<uint8_t>(bits), n, it, dense); break;
    case 2: fill_bits_kernel<<<grid, kBlock, 0, s>>>(device_ptr<uint16_t>(dst), static_cast<uint16_t>(bits), n, it, dense); break;
    case 4: fill_bits_kernel<<<grid, kBlock, 0, s>>>(device_ptr<uint32_t>(dst), static_cast<uint32_t>(bits), n, it, dense); break;
    default: fill_bits_kernel<<<grid, kBlock, 0, s>>>(device_ptr<uint64_t>(dst), bits, n, it, dense); break;
  }
  check_launch("fill");
}

void register_copy_kernels(KernelTable& t) {
  t.set(kernels::kCopy, copy_kernel);
  t.set(kernels::kFill, fill_kernel);
}

}  // namespace ember::cuda
