// CUDA index kernels. index_select and index_add are gather and scatter_add with the 1-D index
// broadcast along the other dims (stride 0), exactly as the CPU reference composes them.
// Index dtype (int64/int32) is a run-time switch; gathers move raw bits, so they instantiate
// per element size, not per dtype.
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/device_types.cuh"
#include "backends/cuda/index.cuh"

namespace ember::cuda {
namespace {

__device__ __forceinline__ int64_t load_index(const void* p, int64_t k, bool i64) {
  return i64 ? static_cast<const int64_t*>(p)[k] : static_cast<int64_t>(static_cast<const int32_t*>(p)[k]);
}

/// out[p] = in[p with coordinate d = index[p]]; it: {in (d zeroed), index, out} over index's sizes.
template <class U>
__global__ void gather_kernel(const U* in, int64_t sd, const void* index, bool i64, U* out, int64_t n, StridedIter<3> it) {
  EMBER_GRID_STRIDE(i, n) {
    int64_t o[3];
    it.offsets(i, o);
    out[o[2]] = in[o[0] + load_index(index, o[1], i64) * sd];
  }
}

/// For each position outside d (it: {src, index, out} without d), out[.. index[j] ..] += src[.. j ..]
/// for j = 0..m-1 in order.
template <class T>
__global__ void scatter_add_kernel(const T* src, int64_t ssd, const void* index, int64_t isd, bool i64, T* out,
                                   int64_t osd, int64_t m, int64_t positions, StridedIter<3> it) {
  EMBER_GRID_STRIDE(p, positions) {
    int64_t o[3];
    it.offsets(p, o);
    for (int64_t j = 0; j < m; ++j) {
      T& dst = out[o[2] + load_index(index, o[1] + j * isd, i64) * osd];
      dst = from_acc<T>(to_acc(dst) + to_acc(src[o[0] + j * ssd]));
    }
  }
}

bool index_is_64(const TensorArg& index, const char* op) {
  EMBER_CHECK(index.dtype == DType::Int64 || index.dtype == DType::Int32, op, ": index dtype must be int64 or int32, got ",
              dtype_name(index.dtype));
  return index.dtype == DType::Int64;
}

/// A 1-D index seen with `sizes`: stride 0 everywhere but along d.
TensorArg broadcast_index(const TensorArg& index, int64_t d, const Shape& sizes) {
  TensorArg ex = index;
  ex.sizes = sizes;
  ex.strides.assign(sizes.size(), 0);
  ex.strides[d] = index.strides.empty() ? 0 : index.strides[0];
  return ex;
}

}  // namespace

void gather(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  const bool i64 = index_is_64(index, "gather");
  const int64_t n = index.numel();
  if (n == 0) return;
  DeviceContext& ctx = context_of(out);
  Shape in_st = in.strides;
  const int64_t sd = in_st[d];
  in_st[d] = 0;  // the coordinate along d comes from the index
  const StridedIter<3> it = make_iter<3>(index.sizes, {&in_st, &index.strides, &out.strides}, "gather");
  const unsigned grid = grid_for(n, kBlock, ctx);
  cudaStream_t s = ctx.stream();
  const void* ix = device_ptr_bytes(index);
  switch (dtype_size(in.dtype)) {
    case 1: gather_kernel<<<grid, kBlock, 0, s>>>(device_ptr<const uint8_t>(in), sd, ix, i64, device_ptr<uint8_t>(out), n, it); break;
    case 2: gather_kernel<<<grid, kBlock, 0, s>>>(device_ptr<const uint16_t>(in), sd, ix, i64, device_ptr<uint16_t>(out), n, it); break;
    case 4: gather_kernel<<<grid, kBlock, 0, s>>>(device_ptr<const uint32_t>(in), sd, ix, i64, device_ptr<uint32_t>(out), n, it); break;
    default: gather_kernel<<<grid, kBlock, 0, s>>>(device_ptr<const uint64_t>(in), sd, ix, i64, device_ptr<uint64_t>(out), n, it); break;
  }
  check_launch("gather");
}

void scatter_add(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  const bool i64 = index_is_64(index, "scatter_add");
  if (index.numel() == 0) return;
  Shape sizes, s_st, i_st, o_st;  // every dim but d
  for (int64_t k = 0; k < index.dim(); ++k) {
    if (k == d) continue;
    sizes.push_back(index.sizes[k]);
    s_st.push_back(src.strides[k]);
    i_st.push_back(index.strides[k]);
    o_st.push_back(out.strides[k]);
  }
  const int64_t m = index.sizes[d], positions = shape_numel(sizes);
  DeviceContext& ctx = context_of(out);
  const StridedIter<3> it = make_iter<3>(sizes, {&s_st, &i_st, &o_st}, "scatter_add");
  EMBER_CUDA_DISPATCH_ALL(out.dtype, "scatter_add", {
    scatter_add_kernel<scalar_t><<<grid_for(positions, kBlock, ctx), kBlock, 0, ctx.stream()>>>(
        device_ptr<const scalar_t>(src), src.strides[d], device_ptr_bytes(index), index.strides[d], i64,
        device_ptr<scalar_t>(out), out.strides[d], m, positions, it);
  });
  check_launch("scatter_add");
}

void index_select(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  index_is_64(index, "index_select");
  gather(in, d, broadcast_index(index, d, out.sizes), out);
}

void index_add(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  index_is_64(index, "index_add");
  scatter_add(src, d, broadcast_index(index, d, src.sizes), out);
}

void register_index_kernels(KernelTable& t) {
  t.set(kernels::kIndexSelect, index_select);
  t.set(kernels::kIndexAdd, index_add);
  t.set(kernels::kGather, gather);
  t.set(kernels::kScatterAdd, scatter_add);
}

}  // namespace ember::cuda
