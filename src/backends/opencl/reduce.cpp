// OpenCL reduce kernel (kernels/reduce.cl): Sum / Max / Min (with first-extremum indices) /
// Any / All over the last n_reduced dims of a [kept..., reduced...] view with any strides.
// Short blocks (and every block on a CPU device) run one work-item per output with a serial
// loop; longer ones one work-group per output with a local-memory tree; long blocks feeding
// few outputs are split into chunks whose partial results a second kernel combines. Float
// sums accumulate in double when the device has fp64 (as the CPU does), else in float.
#include <algorithm>
#include <optional>

#include "core/kernels/reduce.h"
#include "group_launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {
using kernels::ReduceOp;

/// The sum accumulator of dtype t on dev: double (or float without fp64) for floats, long for the rest.
DType sum_acc(const ClDevice& dev, DType t) {
  if (!is_floating(t)) return DType::Int64;
  return dev.has_fp64() ? DType::Float64 : DType::Float32;
}

/// Bytes of T_ACC, the arithmetic type of dtype t's role (kernels/common.cl preambles).
size_t acc_bytes(DType t) { return t == DType::Float64 || t == DType::Int64 ? 8 : 4; }

/// The merged view of dims [b, e) of a (offset: a's own, or 0).
ClStrided part_view(const TensorArg& a, int64_t b, int64_t e, bool with_offset) {
  TensorArg p = a;
  p.sizes.assign(a.sizes.begin() + b, a.sizes.begin() + e);
  p.strides.assign(a.strides.begin() + b, a.strides.begin() + e);
  if (!with_offset) p.offset = 0;
  return views_of(p.sizes, {&p}).v[0];
}

void reduce_kernel(ReduceOp op, const TensorArg& in, int64_t n_reduced, const TensorArg& out,
                   const TensorArg* indices) {
  ClDevice& dev = device_of(out);
  EMBER_CHECK(n_reduced >= 0 && n_reduced <= in.dim(), "reduce: cannot reduce ", n_reduced, " dims of ",
              shape_str(in.sizes));
  const int64_t nkeep = in.dim() - n_reduced;
  const int64_t n_out = shape_numel(Shape(in.sizes.begin(), in.sizes.begin() + nkeep));
  const int64_t n_red = shape_numel(Shape(in.sizes.begin() + nkeep, in.sizes.end()));
  if (n_out == 0) return;
  const ClStrided kv = part_view(in, 0, nkeep, true), rv = part_view(in, nkeep, in.dim(), false);
  const DType acc = sum_acc(dev, in.dtype);
  const TypeRoles roles = {{"T", in.dtype}, {"A", acc}};
  const bool ext = op == ReduceOp::Max || op == ReduceOp::Min, anyall = op == ReduceOp::Any || op == ReduceOp::All;
  const cl_int flag = op == ReduceOp::Max || op == ReduceOp::All;  // is_max / is_all
  const cl_int has_idx = indices != nullptr;
  const TensorArg& idx = indices ? *indices : out;  // a stand-in the kernel never writes

  // One work-item (short blocks, CPU devices) or one work-group per (row, chunk). Rows split
  // into several chunks only when they are long and too few to keep the device busy.
  const bool items = rows_per_item(dev, n_out, n_red);
  const char* name = ext ? (items ? "ext_items" : "ext_group")
                         : anyall ? (items ? "anyall_items" : "anyall_group") : (items ? "sum_items" : "sum_group");
  cl_kernel k = dev.kernel("reduce", roles, name);
  const size_t wg = items ? 1 : group_size(dev, k, static_cast<size_t>(n_red));
  int64_t G = 1;
  if (items) {
    const int64_t busy = 4 * compute_units(dev);  // work-items that keep a CPU device's cores busy
    if (n_red >= 8192 && n_out < busy) G = std::min<int64_t>((n_red + 4095) / 4096, (busy + n_out - 1) / n_out);
  } else if (n_red > 32768 && n_out < 64) {
    G = std::min<int64_t>((n_red + 4095) / 4096, std::max<int64_t>(1, 256 / n_out));
  }
  const int64_t chunk = std::max<int64_t>(1, (n_red + G - 1) / G);
  G = std::max<int64_t>(1, (n_red + chunk - 1) / chunk);  // an empty block still writes its identity
  const size_t units = static_cast<size_t>(n_out * G), parts = G > 1 ? units : 1;
  // Partial results: sums (A), extrema (T_ACC values + long indices) or any/all flags (int).
  const size_t value_bytes = op == ReduceOp::Sum ? dtype_size(acc) : ext ? acc_bytes(in.dtype) : 4;
  std::optional<Scratch> part, part_idx;
  cl_mem pv = buffer_of(out).mem, pi = pv;  // stand-ins the kernel never writes when G == 1
  if (G > 1) {
    pv = part.emplace(dev, parts * value_bytes).mem();
    if (ext) pi = part_idx.emplace(dev, parts * 8).mem();
  }
  {
    Launch l(dev, k);
    l.buffer(in).view(kv).view(rv).value<cl_long>(n_red).value<cl_long>(chunk).value<cl_long>(G);
    if (items) l.value<cl_long>(static_cast<cl_long>(units));
    if (ext) l.value(flag).tensor(out).tensor(idx).value(has_idx).value(pv).value(pi);
    else if (anyall) l.value(flag).tensor(out).value(pv);
    else l.tensor(out).value(pv);
    if (items) l.run(units);
    else l.run2d(units * wg, 1, wg, 1);
  }
  if (G == 1) return;
  cl_kernel f = dev.kernel("reduce", roles, ext ? "ext_finish" : anyall ? "anyall_finish" : "sum_finish");
  const size_t fwg = group_size(dev, f, static_cast<size_t>(G));
  Launch l(dev, f);
  l.value(pv);
  if (ext) l.value(pi).value<cl_long>(G).value(flag).tensor(out).tensor(idx).value(has_idx);
  else if (anyall) l.value<cl_long>(G).value(flag).tensor(out);
  else l.value<cl_long>(G).tensor(out);
  l.run2d(static_cast<size_t>(n_out) * fwg, 1, fwg, 1);
}

}  // namespace

void register_reduce_kernels(KernelTable& t, DTypeMask computes) { t.set(kernels::kReduce, reduce_kernel, computes); }

}  // namespace ember::opencl
