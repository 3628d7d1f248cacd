// OpenCL copy/convert and fill kernels (any dtypes, any strides).
#include <cstring>

#include "core/kernels/copy.h"
#include "launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {

/// The integer dtype whose storage has the width of t's elements (for moving raw bits).
DType bits_type(DType t) {
  switch (dtype_size(t)) {
    case 1: return DType::UInt8;
    case 2: return DType::BFloat16;  // stored as ushort
    case 4: return DType::Int32;
    default: return DType::Int64;
  }
}

void copy_kernel(const TensorArg& src, const TensorArg& dst) {
  EMBER_CHECK(src.sizes == dst.sizes, "copy: sizes ", shape_str(src.sizes), " and ", shape_str(dst.sizes), " differ");
  ClDevice& dev = device_of(dst);
  const int64_t n = dst.numel();
  if (n == 0) return;
  Views v = views_of(dst.sizes, {&src, &dst});
  const size_t es = dtype_size(dst.dtype);
  if (v.contig && src.dtype == dst.dtype) {
    ClBuffer &s = buffer_of(src), &d = buffer_of(dst);
    const size_t so = src.offset * es, dof = dst.offset * es, nb = n * es;
    if (s.mem != d.mem || so + nb <= dof || dof + nb <= so) {  // clEnqueueCopyBuffer forbids overlap
      check(clEnqueueCopyBuffer(dev.queue()(), s.mem, d.mem, so, dof, nb, 0, nullptr, nullptr), "copying a tensor");
      return;
    }
  }
  Launch(dev, dev.kernel("copy", {{"S", src.dtype}, {"D", dst.dtype}}, "copy_convert"))
      .buffer(src).view(v.v[0]).buffer(dst).view(v.v[1]).value<cl_long>(n).value(v.contig).run(n);
}

void fill_kernel(const TensorArg& dst, double value) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  ClDevice& dev = device_of(dst);
  // The element's bits, converted exactly as the CPU backend converts.
  uint64_t bits = 0;
  TensorArg host{&bits, 0, dst.dtype, Shape{1}, Shape{1}};
  get_backend(Device()).kernels().get(kernels::kFill)(host, value);
  const size_t es = dtype_size(dst.dtype);
  if (dst.contiguous()) {
    check(clEnqueueFillBuffer(dev.queue()(), buffer_of(dst).mem, &bits, es, dst.offset * es, n * es, 0, nullptr, nullptr),
          "filling a tensor");
    return;
  }
  Views v = views_of(dst.sizes, {&dst});
  Launch l(dev, dev.kernel("fill", {{"D", bits_type(dst.dtype)}}, "fill_strided"));
  l.buffer(dst).view(v.v[0]).raw(&bits, es).value<cl_long>(n).run(n);
}

}  // namespace

void register_copy_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kCopy, copy_kernel, computes);
  t.set(kernels::kFill, fill_kernel);
}

}  // namespace ember::opencl
