// OpenCL softmax / log-softmax (forward, backward) over the last dim with any strides, and the
// fused cross-entropy and NLL losses (kernels/softmax.cl). Rows run one work-item each (short
// rows, CPU devices) or one work-group each (local-memory trees). The loss forwards check
// their targets on the device: a kernel records the lowest row whose target is outside [0,C)
// in a small buffer that the host reads back, and then raises the CPU reference's error.
#include <climits>

#include "core/kernels/softmax.h"
#include "group_launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {

/// Throws the CPU kernels' error for an unsupported (non-floating) dtype.
void check_floating_dtype(const char* op, DType t) {
  EMBER_CHECK(is_floating(t), op, ": unsupported dtype ", dtype_name(t), " (floating only)");
}

/// The program of softmax.cl for floating dtype t (statistics in float, double for double).
cl_kernel softmax_program(ClDevice& dev, DType t, const char* name) {
  if (t == DType::Float64) return dev.kernel("softmax", {{"T", t}, {"S", DType::Float64}}, name);
  return dev.kernel("softmax", {{"T", t}, {"S", DType::Float32}}, name);
}

/// A [rows..., C] operand split into its row view (merged with the other operands' rows) and
/// column stride; a 0-dim operand is one row of one column.
struct Rows {
  Views views;
  std::vector<cl_long> col_stride;
  int64_t rows = 1, cols = 1;
};
Rows rows_of(std::initializer_list<const TensorArg*> operands) {
  Rows r;
  const TensorArg& first = **operands.begin();
  std::vector<TensorArg> outer;
  for (const TensorArg* a : operands) {
    TensorArg o = *a;
    if (a->dim() > 0) {
      o.sizes.pop_back();
      o.strides.pop_back();
    }
    r.col_stride.push_back(a->dim() > 0 ? a->strides.back() : 1);
    outer.push_back(o);
  }
  if (first.dim() > 0) r.cols = first.sizes.back();
  r.rows = shape_numel(outer[0].sizes);
  if (outer.size() == 2) r.views = views_of(outer[0].sizes, {&outer[0], &outer[1]});
  else r.views = views_of(outer[0].sizes, {&outer[0], &outer[1], &outer[2]});
  return r;
}

void softmax_kernel(const TensorArg& in, const TensorArg& out, bool log) {
  ClDevice& dev = device_of(out);
  check_floating_dtype(log ? "log_softmax" : "softmax", in.dtype);
  Rows r = rows_of({&in, &out});
  if (r.rows == 0 || r.cols == 0) return;
  const bool items = rows_per_item(dev, r.rows, r.cols);
  cl_kernel k = softmax_program(dev, in.dtype, items ? "softmax_fwd_items" : "softmax_fwd");
  Launch l(dev, k);
  l.buffer(in).view(r.views.v[0]).value(r.col_stride[0]).buffer(out).view(r.views.v[1]).value(r.col_stride[1])
      .value<cl_long>(r.cols).value<cl_int>(log);
  run_rows(l, dev, k, items, r.rows, r.cols);
}

void softmax_backward_kernel(const TensorArg& grad, const TensorArg& out, const TensorArg& gin, bool log) {
  ClDevice& dev = device_of(gin);
  check_floating_dtype("softmax_backward", out.dtype);
  Rows r = rows_of({&grad, &out, &gin});
  if (r.rows == 0 || r.cols == 0) return;
  const bool items = rows_per_item(dev, r.rows, r.cols);
  cl_kernel k = softmax_program(dev, out.dtype, items ? "softmax_bwd_items" : "softmax_bwd");
  Launch l(dev, k);
  l.buffer(grad).view(r.views.v[0]).value(r.col_stride[0]).buffer(out).view(r.views.v[1]).value(r.col_stride[1])
      .buffer(gin).view(r.views.v[2]).value(r.col_stride[2]).value<cl_long>(r.cols).value<cl_int>(log);
  run_rows(l, dev, k, items, r.rows, r.cols);
}

/// A device int holding the lowest row with a bad target (INT_MAX: none), set before the
/// checking kernel runs and read back after it.
class BadTargetFlag {
 public:
  explicit BadTargetFlag(ClDevice& dev) : dev_(dev), buf_(dev, sizeof(cl_int)) {
    const cl_int none = INT_MAX;
    check(clEnqueueFillBuffer(dev.queue()(), buf_.mem(), &none, sizeof none, 0, sizeof none, 0, nullptr, nullptr),
          "clearing the target check flag");
  }
  cl_mem mem() const { return buf_.mem(); }
  /// Waits for the kernels and throws the CPU reference's error when a target was out of range.
  void raise_if_set(const char* op, const TensorArg& target, int64_t C) {
    cl_int row = INT_MAX;
    check(clEnqueueReadBuffer(dev_.queue()(), buf_.mem(), CL_TRUE, 0, sizeof row, &row, 0, nullptr, nullptr),
          "reading the target check flag");
    if (row == INT_MAX) return;
    int64_t t = 0;
    const size_t at = static_cast<size_t>(target.offset + row * target.strides[0]) * sizeof(int64_t);
    check(clEnqueueReadBuffer(dev_.queue()(), buffer_of(target).mem, CL_TRUE, at, sizeof t, &t, 0, nullptr, nullptr),
          "reading a target");
    EMBER_FAIL(op, ": target ", t, " at index ", row, " is out of range [0, ", C, ")");
  }

 private:
  ClDevice& dev_;
  Scratch buf_;
};

void check_target(const char* op, const TensorArg& target) {
  EMBER_CHECK(target.dtype == DType::Int64, op, ": target must be int64, got ", dtype_name(target.dtype));
}

void cross_entropy_forward_kernel(const TensorArg& x, const TensorArg& target, const TensorArg& loss,
                                  const TensorArg& lse, double ls) {
  ClDevice& dev = device_of(loss);
  check_floating_dtype("cross_entropy", x.dtype);
  check_target("cross_entropy", target);
  const int64_t N = x.sizes[0], C = x.sizes[1];
  if (N == 0) return;
  BadTargetFlag bad(dev);
  const bool items = rows_per_item(dev, N, C);
  cl_kernel k = softmax_program(dev, x.dtype, items ? "ce_fwd_items" : "ce_fwd");
  {
    Launch l(dev, k);
    l.tensor(x).value<cl_long>(x.strides[0]).value<cl_long>(x.strides[1])
        .tensor(target).value<cl_long>(target.strides[0]).tensor(loss).value<cl_long>(loss.strides[0])
        .tensor(lse).value<cl_long>(lse.strides[0]).value<cl_long>(C);
    acc_scalar(l, x.dtype, ls);
    acc_scalar(l, x.dtype, 1.0 - ls);
    l.value<cl_int>(ls != 0.0).value(bad.mem());
    run_rows(l, dev, k, items, N, C);
  }
  bad.raise_if_set("cross_entropy", target, C);
}

void cross_entropy_backward_kernel(const TensorArg& x, const TensorArg& target, const TensorArg& lse,
                                   const TensorArg& grad, double scale, double ls, const TensorArg& dx) {
  ClDevice& dev = device_of(dx);
  check_floating_dtype("cross_entropy_backward", x.dtype);
  check_target("cross_entropy", target);
  const int64_t N = x.sizes[0], C = x.sizes[1];
  if (N * C == 0) return;
  Launch l(dev, softmax_program(dev, x.dtype, "ce_bwd"));
  l.tensor(x).value<cl_long>(x.strides[0]).value<cl_long>(x.strides[1]).tensor(target).value<cl_long>(target.strides[0])
      .tensor(lse).value<cl_long>(lse.strides[0]).tensor(grad).value<cl_long>(grad.strides[0]);
  acc_scalar(l, x.dtype, scale);
  acc_scalar(l, x.dtype, ls / static_cast<double>(C));
  acc_scalar(l, x.dtype, 1.0 - ls);
  l.tensor(dx).value<cl_long>(N).value<cl_long>(C).run(static_cast<size_t>(N * C));
}

void nll_forward_kernel(const TensorArg& lp, const TensorArg& target, const TensorArg& loss) {
  ClDevice& dev = device_of(loss);
  check_floating_dtype("nll_loss", lp.dtype);
  check_target("nll_loss", target);
  const int64_t N = lp.sizes[0], C = lp.sizes[1];
  if (N == 0) return;
  BadTargetFlag bad(dev);
  Launch(dev, softmax_program(dev, lp.dtype, "nll_fwd"))
      .tensor(lp).value<cl_long>(lp.strides[0]).value<cl_long>(lp.strides[1]).tensor(target)
      .value<cl_long>(target.strides[0]).tensor(loss).value<cl_long>(loss.strides[0]).value<cl_long>(N)
      .value<cl_long>(C).value(bad.mem()).run(static_cast<size_t>(N));
  bad.raise_if_set("nll_loss", target, C);
}

void nll_backward_kernel(const TensorArg& target, const TensorArg& grad, double scale, const TensorArg& dlp) {
  ClDevice& dev = device_of(dlp);
  check_floating_dtype("nll_loss_backward", dlp.dtype);
  check_target("nll_loss", target);
  const int64_t N = dlp.sizes[0], C = dlp.sizes[1];
  if (N * C == 0) return;
  Launch l(dev, softmax_program(dev, dlp.dtype, "nll_bwd"));
  l.tensor(target).value<cl_long>(target.strides[0]).tensor(grad).value<cl_long>(grad.strides[0]);
  acc_scalar(l, dlp.dtype, scale);
  l.tensor(dlp).value<cl_long>(N).value<cl_long>(C).run(static_cast<size_t>(N * C));
}

}  // namespace

void register_softmax_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kSoftmax, softmax_kernel, computes);
  t.set(kernels::kSoftmaxBackward, softmax_backward_kernel, computes);
  t.set(kernels::kCrossEntropyForward, cross_entropy_forward_kernel, computes);
  t.set(kernels::kCrossEntropyBackward, cross_entropy_backward_kernel, computes);
  t.set(kernels::kNllForward, nll_forward_kernel, computes);
  t.set(kernels::kNllBackward, nll_backward_kernel, computes);
}

}  // namespace ember::opencl
