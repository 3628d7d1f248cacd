// OpenCL row kernels of scaled dot-product attention (kernels/attention.cl; signatures in
// core/kernels/attention.h). The GEMMs around them run on this backend's matmul (CLBlast).
#include "core/kernels/attention.h"
#include "ember/half.h"
#include "group_launch.h"
#include "opencl_backend.h"

namespace ember::opencl {
namespace {

/// keep rounded to dtype t and back, as the CPU kernels round the dropout mask value.
double keep_in(DType t, double keep) {
  switch (t) {
    case DType::Float32: return static_cast<float>(keep);
    case DType::BFloat16: return static_cast<float>(BFloat16(static_cast<float>(keep)));
    case DType::Float16: return static_cast<float>(Half(static_cast<float>(keep)));
    default: return keep;
  }
}

/// (rows, L, S) of contiguous (B, L, S) operands of one floating dtype; throws otherwise.
struct Geometry {
  int64_t rows, L, S;
};
Geometry geometry_of(const char* op, std::initializer_list<const TensorArg*> ts) {
  const TensorArg& a = **ts.begin();
  EMBER_CHECK(is_floating(a.dtype), op, ": unsupported dtype ", dtype_name(a.dtype), " (floating only)");
  for (const TensorArg* t : ts)
    EMBER_CHECK(t->contiguous() && t->dim() >= 2 && t->sizes == a.sizes && t->dtype == a.dtype, op,
                ": operands must be contiguous (B, L, S) tensors of one shape and dtype");
  const int64_t S = a.sizes.back(), L = a.sizes[a.sizes.size() - 2];
  return {S > 0 ? a.numel() / S : 0, L, S};
}

void attention_softmax_kernel(const TensorArg& s, const TensorArg& p, const TensorArg* pd, bool causal, uint64_t seed,
                              uint64_t first, uint64_t threshold, double keep) {
  const Geometry g = pd ? geometry_of("attention_softmax", {&s, &p, pd}) : geometry_of("attention_softmax", {&s, &p});
  if (g.rows == 0) return;
  ClDevice& dev = device_of(p);
  const bool items = rows_per_item(dev, g.rows, g.S);
  cl_kernel k = dev.kernel("attention", {{"T", s.dtype}}, items ? "attn_fwd_items" : "attn_fwd");
  Launch l(dev, k);
  l.tensor(s).tensor(p).tensor(pd ? *pd : p).value<cl_int>(pd != nullptr).value<cl_long>(g.L).value<cl_long>(g.S)
      .value<cl_int>(causal).value<cl_ulong>(seed).value<cl_ulong>(first).value<cl_ulong>(threshold);
  acc_scalar(l, s.dtype, keep_in(s.dtype, keep));
  run_rows(l, dev, k, items, g.rows, g.S);
}

void attention_softmax_backward_kernel(const TensorArg& dpd, const TensorArg& p, const TensorArg& ds, bool causal,
                                       double scale, uint64_t seed, uint64_t first, uint64_t threshold,
                                       double keep) {
  const Geometry g = geometry_of("attention_softmax_backward", {&dpd, &p, &ds});
  if (g.rows == 0) return;
  ClDevice& dev = device_of(p);
  const bool items = rows_per_item(dev, g.rows, g.S);
  cl_kernel k = dev.kernel("attention", {{"T", p.dtype}}, items ? "attn_bwd_items" : "attn_bwd");
  Launch l(dev, k);
  l.tensor(dpd).tensor(p).tensor(ds).value<cl_long>(g.L).value<cl_long>(g.S).value<cl_int>(causal);
  acc_scalar(l, p.dtype, scale);
  l.value<cl_int>(threshold != 0 || keep != 1.0).value<cl_ulong>(seed).value<cl_ulong>(first)
      .value<cl_ulong>(threshold);
  acc_scalar(l, p.dtype, keep_in(p.dtype, keep));
  run_rows(l, dev, k, items, g.rows, g.S);
}

}  // namespace

void register_attention_kernels(KernelTable& t, DTypeMask computes) {
  t.set(kernels::kAttentionSoftmax, attention_softmax_kernel, computes);
  t.set(kernels::kAttentionSoftmaxBackward, attention_softmax_backward_kernel, computes);
}

}  // namespace ember::opencl
