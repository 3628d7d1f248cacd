// Kernel argument setting, strided views and 1-D/2-D enqueues (see launch.h).
#include "launch.h"

#include <algorithm>
#include <string>

#include "core/merge_dims.h"

namespace ember::opencl {

ClStrided strided_view(const TensorArg& a) {
  EMBER_CHECK(a.dim() <= kMaxDims, "opencl: views of more than ", kMaxDims, " dims are not supported (got ",
              shape_str(a.sizes), ")");
  ClStrided s;
  s.offset = a.offset;
  s.ndim = static_cast<cl_int>(a.dim());
  for (int64_t d = 0; d < a.dim(); ++d) {
    s.sizes[d] = a.sizes[d];
    s.strides[d] = a.strides[d];
  }
  return s;
}

Views views_of(const Shape& sizes, std::initializer_list<const TensorArg*> operands) {
  const size_t n = operands.size(), ndim = sizes.size();
  std::vector<const int64_t*> in;
  for (const TensorArg* a : operands) in.push_back(a->strides.data());
  std::vector<Shape> strides(n, Shape(ndim));
  std::vector<int64_t*> out;
  for (Shape& s : strides) out.push_back(s.data());
  Shape merged(ndim);
  const int nd = merge_dims(static_cast<int>(ndim), sizes.data(), static_cast<int>(n), in.data(), merged.data(), out.data());
  merged.resize(static_cast<size_t>(nd));
  Views r;
  size_t k = 0;
  for (const TensorArg* a : operands) {
    TensorArg t = *a;
    t.sizes = merged;
    t.strides = strides[k++];
    t.strides.resize(static_cast<size_t>(nd));
    if (!(merged.empty() || (merged.size() == 1 && t.strides[0] == 1))) r.contig = 0;
    r.v.push_back(strided_view(t));
  }
  return r;
}

Launch& Launch::tensor(const TensorArg& a) {
  cl_mem m = buffer_of(a).mem;
  cl_long off = a.offset;
  raw(&m, sizeof m);
  return raw(&off, sizeof off);
}

Launch& Launch::raw(const void* p, size_t n) {
  check(clSetKernelArg(k_, arg_, n, p), ("setting argument " + std::to_string(arg_)).c_str());
  ++arg_;
  return *this;
}

void Launch::run(size_t n) {
  if (n == 0) return;
  const size_t local = std::min<size_t>(256, dev_.max_work_group());
  const size_t global = (n + local - 1) / local * local;
  check(clEnqueueNDRangeKernel(dev_.queue()(), k_, 1, nullptr, &global, &local, 0, nullptr, nullptr),
        "enqueueing a kernel");
}

void Launch::run2d(size_t g0, size_t g1, size_t l0, size_t l1) {
  if (g0 == 0 || g1 == 0) return;
  const size_t global[2] = {g0, g1}, local[2] = {l0, l1};
  check(clEnqueueNDRangeKernel(dev_.queue()(), k_, 2, nullptr, global, l0 ? local : nullptr, 0, nullptr, nullptr),
        "enqueueing a kernel");
}

}  // namespace ember::opencl
