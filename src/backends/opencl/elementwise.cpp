// OpenCL elementwise kernels: unary, binary (arithmetic and comparisons) and where(), over any
// strides (dims coalesced first; a dense case indexes directly).
#include <cmath>

#include "core/kernels/elementwise.h"
#include "launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {
using kernels::BinaryOp;
using kernels::UnaryOp;

void unary_kernel(UnaryOp op, const TensorArg& in, const TensorArg& out, double p0, double p1) {
  ClDevice& dev = device_of(out);
  const int64_t n = out.numel();
  if (n == 0) return;
  kernels::check_defined(op, in.dtype);
  Views v = views_of(out.sizes, {&in, &out});
  if (op == UnaryOp::LogicalNot) {
    Launch(dev, dev.kernel("elementwise", {{"T", in.dtype}}, "logical_not"))
        .buffer(in).view(v.v[0]).buffer(out).view(v.v[1]).value<cl_long>(n).value(v.contig).run(n);
    return;
  }
  Launch l(dev, dev.kernel("elementwise", {{"T", in.dtype}}, "unary"));
  l.buffer(in).view(v.v[0]).buffer(out).view(v.v[1]).value<cl_long>(n).value(v.contig).value<cl_int>(static_cast<int>(op));
  // p0/p1 in the kernel's arithmetic type (double, float, long or int).
  const cl_int has_lo = !std::isnan(p0), has_hi = !std::isnan(p1);
  const double lo = has_lo ? p0 : 0, hi = has_hi ? p1 : 0;
  switch (in.dtype) {
    case DType::Float64: l.value<cl_double>(lo).value<cl_double>(hi); break;
    case DType::Int64: l.value<cl_long>(static_cast<cl_long>(lo)).value<cl_long>(static_cast<cl_long>(hi)); break;
    case DType::Int32: case DType::UInt8: case DType::Bool:
      l.value<cl_int>(static_cast<cl_int>(lo)).value<cl_int>(static_cast<cl_int>(hi));
      break;
    default: l.value<cl_float>(static_cast<float>(lo)).value<cl_float>(static_cast<float>(hi)); break;
  }
  l.value(has_lo).value(has_hi).run(n);
}

void binary_kernel(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  ClDevice& dev = device_of(out);
  const int64_t n = out.numel();
  if (n == 0) return;
  kernels::check_defined(op, a.dtype);
  Views v = views_of(out.sizes, {&a, &b, &out});
  Launch(dev, dev.kernel("elementwise", {{"T", a.dtype}}, kernels::bool_result(op) ? "compare" : "binary"))
      .buffer(a).view(v.v[0]).buffer(b).view(v.v[1]).buffer(out).view(v.v[2])
      .value<cl_long>(n).value(v.contig).value<cl_int>(static_cast<int>(op)).run(n);
}

// The binary kernel declines integer division, which must raise on a zero divisor (as the CPU
// does) and a device kernel cannot: the dispatcher runs it on the CPU (ops/dispatch.h).
const char* declines_integer_division(BinaryOp op, const TensorArg& a, const TensorArg&, const TensorArg&) {
  return op == BinaryOp::Div && !is_floating(a.dtype) ? "is integer division, which must raise on a zero divisor," : nullptr;
}

void where_kernel(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out) {
  ClDevice& dev = device_of(out);
  const int64_t n = out.numel();
  if (n == 0) return;
  Views v = views_of(out.sizes, {&cond, &a, &b, &out});
  Launch(dev, dev.kernel("elementwise", {{"T", out.dtype}}, "where_select"))
      .buffer(cond).view(v.v[0]).buffer(a).view(v.v[1]).buffer(b).view(v.v[2]).buffer(out).view(v.v[3])
      .value<cl_long>(n).value(v.contig).run(n);
}

}  // namespace

void register_elementwise_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kUnary, unary_kernel, computes);
  t.set(kernels::kBinary, binary_kernel, computes, declines_integer_division);
  t.set(kernels::kWhere, where_kernel, computes);
}

}  // namespace ember::opencl
