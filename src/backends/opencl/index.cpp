// OpenCL indexing along one dim (kernels/index.cl): index_select and gather read one element
// per work-item; index_add and scatter_add give each position outside the indexed dim to one
// work-item that accumulates its indices in order (deterministic, no atomics). index_select
// and index_add see their 1-D index as an index of the data's rank (stride 0 outside d), as
// the CPU reference does. int32 and int64 indices.
#include "core/kernels/index.h"
#include "launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {

/// The integer dtype whose storage has the width of t's elements (gather moves raw bits).
DType bits_type(DType t) {
  switch (dtype_size(t)) {
    case 1: return DType::UInt8;
    case 2: return DType::BFloat16;  // stored as ushort; gather never converts it
    case 4: return DType::Int32;
    default: return DType::Int64;
  }
}

void check_index(const char* op, const TensorArg& index) {
  EMBER_CHECK(index.dtype == DType::Int64 || index.dtype == DType::Int32, op,
              ": index dtype must be int64 or int32, got ", dtype_name(index.dtype));
}

/// A 1-D index seen as an index of `sizes`' rank: stride 0 everywhere except along d.
TensorArg broadcast_index(const TensorArg& index, int64_t d, const Shape& sizes) {
  TensorArg ex = index;
  ex.sizes = sizes;
  ex.strides.assign(sizes.size(), 0);
  ex.strides[d] = index.strides.empty() ? 0 : index.strides[0];
  return ex;
}

/// a without dim d (sizes and strides).
TensorArg drop_dim(const TensorArg& a, int64_t d, const Shape& sizes) {
  TensorArg r = a;
  r.sizes = sizes;
  r.sizes.erase(r.sizes.begin() + d);
  r.strides.erase(r.strides.begin() + d);
  return r;
}

void gather_launch(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  ClDevice& dev = device_of(out);
  const int64_t n = index.numel();
  if (n == 0) return;
  EMBER_CHECK(d >= 0 && d < in.dim() && index.dim() == in.dim(), "gather: bad dim ", d, " for input ",
              shape_str(in.sizes), " and index ", shape_str(index.sizes));
  TensorArg walk = in;  // in over index's sizes, the coordinate along d coming from the index
  walk.sizes = index.sizes;
  walk.strides[d] = 0;
  Views v = views_of(index.sizes, {&walk, &index, &out});
  Launch(dev, dev.kernel("index", {{"G", bits_type(in.dtype)}, {"I", index.dtype}}, "gather"))
      .buffer(in).view(v.v[0]).value<cl_long>(in.strides[d]).buffer(index).view(v.v[1]).buffer(out).view(v.v[2])
      .value<cl_long>(n).value(v.contig).run(static_cast<size_t>(n));
}

void scatter_add_launch(const char* op, const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  ClDevice& dev = device_of(out);
  if (index.numel() == 0) return;
  EMBER_CHECK(d >= 0 && d < out.dim() && index.dim() == out.dim(), op, ": bad dim ", d, " for output ",
              shape_str(out.sizes), " and index ", shape_str(index.sizes));
  const TensorArg s = drop_dim(src, d, index.sizes), i = drop_dim(index, d, index.sizes),
                  o = drop_dim(out, d, index.sizes);
  const int64_t P = shape_numel(s.sizes);
  Views v = views_of(s.sizes, {&s, &i, &o});
  Launch(dev, dev.kernel("index", {{"T", out.dtype}, {"I", index.dtype}}, "scatter_add"))
      .buffer(src).view(v.v[0]).value<cl_long>(src.strides[d]).buffer(index).view(v.v[1])
      .value<cl_long>(index.strides[d]).buffer(out).view(v.v[2]).value<cl_long>(out.strides[d])
      .value<cl_long>(index.sizes[d]).value<cl_long>(P).run(static_cast<size_t>(P));
}

void index_select_kernel(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  check_index("index_select", index);
  gather_launch(in, d, broadcast_index(index, d, out.sizes), out);
}

void gather_kernel(const TensorArg& in, int64_t d, const TensorArg& index, const TensorArg& out) {
  check_index("gather", index);
  gather_launch(in, d, index, out);
}

void index_add_kernel(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  check_index("index_add", index);
  scatter_add_launch("index_add", src, d, broadcast_index(index, d, src.sizes), out);
}

void scatter_add_kernel(const TensorArg& src, int64_t d, const TensorArg& index, const TensorArg& out) {
  check_index("scatter_add", index);
  scatter_add_launch("scatter_add", src, d, index, out);
}

}  // namespace

void register_index_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kIndexSelect, index_select_kernel);
  t.set(kernels::kIndexAdd, index_add_kernel, computes);
  t.set(kernels::kGather, gather_kernel);
  t.set(kernels::kScatterAdd, scatter_add_kernel, computes);
}

}  // namespace ember::opencl
