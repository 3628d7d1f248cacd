// OpenCL batch norm (statistics, apply, training forward, backward) over x (N,C,S) and layer
// norm (forward, backward) over rows of x (M,N), any strides (kernels/norm.cl). Statistics run
// one work-group per channel (batch norm), or per row (layer norm; the parameter gradients per
// column) with two-pass sums in double when the device has fp64 (as the CPU reference), else in
// float. Layer norm gives each row / column to one work-item instead on CPU devices and for
// short rows (see rows_per_item()).
#include "core/kernels/norm.h"
#include "group_launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {

/// The norm.cl kernel `name` for data dtype t: statistics in S (float, double for double), sums in A.
cl_kernel norm_kernel(ClDevice& dev, DType t, const char* name) {
  const DType s = t == DType::Float64 ? DType::Float64 : DType::Float32;
  const DType a = dev.has_fp64() ? DType::Float64 : DType::Float32;
  return dev.kernel("norm", {{"T", t}, {"S", s}, {"A", a}}, name);
}

/// The sum accumulator's dtype on dev (the role A of norm_kernel).
DType acc_dtype(const ClDevice& dev) { return dev.has_fp64() ? DType::Float64 : DType::Float32; }

void check_floating_dtype(const char* op, DType t) {
  EMBER_CHECK(is_floating(t), op, ": unsupported dtype ", dtype_name(t), " (floating only)");
}

/// A 1-D statistics operand: buffer, offset, stride.
Launch& stat(Launch& l, const TensorArg& a) { return l.tensor(a).value<cl_long>(a.dim() ? a.strides[0] : 0); }
/// An optional parameter operand (buffer, offset, stride) and its presence flag.
Launch& param(Launch& l, const TensorArg* a, const TensorArg& stand_in) {
  return opt_tensor(l, a, stand_in).value<cl_int>(a != nullptr);
}
/// A 3-D (N,C,S) operand: buffer, offset, three strides.
Launch& ncs(Launch& l, const TensorArg& a) {
  return l.tensor(a).value<cl_long>(a.strides[0]).value<cl_long>(a.strides[1]).value<cl_long>(a.strides[2]);
}

/// Statistics (and, when apply, rstd and the normalised output) of x (N,C,S), one group per channel.
void bn_stats_launch(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps, const TensorArg* out,
                     const TensorArg& mean, const TensorArg& var, const TensorArg* rstd) {
  ClDevice& dev = device_of(x);
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  if (C == 0) return;
  cl_kernel k = norm_kernel(dev, x.dtype, "bn_stats_fwd");
  const size_t wg = group_size(dev, k, static_cast<size_t>(N * S));
  Launch l(dev, k);
  ncs(l, x).value<cl_long>(N).value<cl_long>(S);
  stat(l, mean);
  stat(l, var);
  stat(l, rstd ? *rstd : var);
  param(l, w, x);
  param(l, b, x);
  acc_scalar(l, acc_dtype(dev), eps).value<cl_int>(out != nullptr);
  if (out) ncs(l, *out);
  else l.buffer(x).value<cl_long>(0).value<cl_long>(0).value<cl_long>(0).value<cl_long>(0);
  l.run2d(static_cast<size_t>(C) * wg, 1, wg, 1);
}

void bn_stats_kernel(const TensorArg& x, const TensorArg& mean, const TensorArg& var) {
  check_floating_dtype("batch_norm", x.dtype);
  bn_stats_launch(x, nullptr, nullptr, 0.0, nullptr, mean, var, nullptr);
}

void bn_forward_kernel(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps, const TensorArg& out,
                       const TensorArg& mean, const TensorArg& var, const TensorArg& rstd) {
  check_floating_dtype("batch_norm", x.dtype);
  bn_stats_launch(x, w, b, eps, &out, mean, var, &rstd);
}

void bn_apply_kernel(const TensorArg& x, const TensorArg& mean, const TensorArg& rstd, const TensorArg* w,
                     const TensorArg* b, const TensorArg& out) {
  ClDevice& dev = device_of(x);
  check_floating_dtype("batch_norm", x.dtype);
  const int64_t total = x.numel();
  if (total == 0) return;
  Launch l(dev, norm_kernel(dev, x.dtype, "bn_apply"));
  ncs(l, x).value<cl_long>(x.sizes[1]).value<cl_long>(x.sizes[2]).value<cl_long>(total);
  stat(l, mean);
  stat(l, rstd);
  param(l, w, x);
  param(l, b, x);
  ncs(l, out).run(static_cast<size_t>(total));
}

void bn_backward_kernel(const TensorArg& g, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                        const TensorArg* w, bool training, const TensorArg* dx, const TensorArg* dw,
                        const TensorArg* db) {
  ClDevice& dev = device_of(x);
  check_floating_dtype("batch_norm_backward", x.dtype);
  const int64_t N = x.sizes[0], C = x.sizes[1], S = x.sizes[2];
  if (C == 0 || (!dx && !dw && !db)) return;
  cl_kernel k = norm_kernel(dev, x.dtype, "bn_bwd");
  const size_t wg = group_size(dev, k, static_cast<size_t>(N * S));
  Launch l(dev, k);
  ncs(l, g);
  ncs(l, x).value<cl_long>(N).value<cl_long>(S);
  stat(l, mean);
  stat(l, rstd);
  param(l, w, x).value<cl_int>(training);
  if (dx) ncs(l, *dx);
  else l.buffer(x).value<cl_long>(0).value<cl_long>(0).value<cl_long>(0).value<cl_long>(0);
  l.value<cl_int>(dx != nullptr);
  param(l, dw, x);
  param(l, db, x);
  l.run2d(static_cast<size_t>(C) * wg, 1, wg, 1);
}

/// A 2-D (rows, cols) operand: buffer, offset, two strides.
Launch& rc(Launch& l, const TensorArg& a) {
  return l.tensor(a).value<cl_long>(a.strides[0]).value<cl_long>(a.strides[1]);
}

void ln_forward_kernel(const TensorArg& x, const TensorArg* w, const TensorArg* b, double eps, const TensorArg& out,
                       const TensorArg& mean, const TensorArg& rstd) {
  ClDevice& dev = device_of(x);
  check_floating_dtype("layer_norm", x.dtype);
  const int64_t M = x.sizes[0], Nn = x.sizes[1];
  if (M == 0) return;
  const bool items = rows_per_item(dev, M, Nn);
  cl_kernel k = norm_kernel(dev, x.dtype, items ? "ln_fwd_items" : "ln_fwd");
  Launch l(dev, k);
  rc(l, x).value<cl_long>(Nn);
  param(l, w, x);
  param(l, b, x);
  acc_scalar(l, acc_dtype(dev), eps);
  rc(l, out);
  stat(l, mean);
  stat(l, rstd);
  run_rows(l, dev, k, items, M, Nn);
}

void ln_backward_kernel(const TensorArg& g, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                        const TensorArg* w, const TensorArg* dx, const TensorArg* dw, const TensorArg* db) {
  ClDevice& dev = device_of(x);
  check_floating_dtype("layer_norm_backward", x.dtype);
  const int64_t M = x.sizes[0], Nn = x.sizes[1];
  if (dx && M > 0) {
    const bool items = rows_per_item(dev, M, Nn);
    cl_kernel k = norm_kernel(dev, x.dtype, items ? "ln_bwd_dx_items" : "ln_bwd_dx");
    Launch l(dev, k);
    rc(l, g);
    rc(l, x).value<cl_long>(Nn);
    stat(l, mean);
    stat(l, rstd);
    param(l, w, x);
    rc(l, *dx);
    run_rows(l, dev, k, items, M, Nn);
  }
  if ((dw || db) && Nn > 0) {
    const bool items = rows_per_item(dev, Nn, M);
    cl_kernel k = norm_kernel(dev, x.dtype, items ? "ln_bwd_params_items" : "ln_bwd_params");
    Launch l(dev, k);
    rc(l, g);
    rc(l, x).value<cl_long>(M);
    stat(l, mean);
    stat(l, rstd);
    param(l, dw, x);
    param(l, db, x);
    run_rows(l, dev, k, items, Nn, M);
  }
}

}  // namespace

void register_norm_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kBatchNormStats, bn_stats_kernel, computes);
  t.set(kernels::kBatchNormApply, bn_apply_kernel, computes);
  t.set(kernels::kBatchNormForward, bn_forward_kernel, computes);
  t.set(kernels::kBatchNormBackward, bn_backward_kernel, computes);
  t.set(kernels::kLayerNormForward, ln_forward_kernel, computes);
  t.set(kernels::kLayerNormBackward, ln_backward_kernel, computes);
}

}  // namespace ember::opencl
