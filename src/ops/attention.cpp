// scaled_dot_product_attention: checks, then one autograd node. Forward: S = scale * q k^T on
// the matmul kernel, one fused row pass (causal mask from indices, softmax, dropout; P and the
// dropped Pd kept for the backward), O = Pd v. Backward: dV = Pd^T dO, dPd = dO v^T, one fused
// row pass dS = scale * P * (dP - rowsum(dP * P)) with the dropout mask redrawn, dQ = dS k,
// dK = dS^T q. Backends without the row kernels run the composed form (sdpa_composed).
#include "ember/ops/attention.h"

#include <cmath>
#include <limits>

#include "autograd/record.h"
#include "core/kernels/attention.h"
#include "core/kernels/matmul.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/linalg.h"
#include "ember/ops/loss.h"
#include "ember/ops/norm.h"
#include "ember/random.h"
#include "ops/attention.h"
#include "ops/autocast.h"
#include "ops/dispatch.h"

namespace ember {

using GradList = std::vector<Tensor>;

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

/// t (B, R, C) itself when its matrices are row- or column-major, else a contiguous copy (the
/// layouts every backend's GEMM takes well).
Tensor gemm_operand(const Tensor& t) {
  const int64_t r = t.size(1), c = t.size(2), sr = t.strides()[1], sc = t.strides()[2];
  const bool row_major = (c == 1 || sc == 1) && (r == 1 || sr >= c);
  const bool col_major = (r == 1 || sr == 1) && (c == 1 || sc >= r);
  return row_major || col_major ? t : t.contiguous();
}

/// c = alpha * a b over the batch (all (B, *, *), c contiguous), on the matmul kernel.
void mm(const Tensor& a, const Tensor& b, const Tensor& c, double alpha = 1.0) {
  static const ops::KernelRef<kernels::MatmulKernel> kernel(kernels::kMatmul);
  kernel(c.device())(arg_of(a), arg_of(b), arg_of(c), nullptr, alpha, 0.0);
}

Shape lead_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

void check_args(const Tensor& q, const Tensor& k, const Tensor& v, double dropout_p, double scale) {
  ops::check_defined(kOp, "query", q);
  ops::check_defined(kOp, "key", k);
  ops::check_defined(kOp, "value", v);
  ops::check_same_device(kOp, {q, k, v});
  ops::check_floating(kOp, "query", q);
  const std::string shapes = "query " + shape_str(q.shape()) + ", key " + shape_str(k.shape()) + ", value " +
                             shape_str(v.shape());
  EMBER_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), kOp, ": query, key and value dtypes ",
              dtype_name(q.dtype()), ", ", dtype_name(k.dtype()), ", ", dtype_name(v.dtype()), " differ");
  EMBER_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), kOp, ": ", shapes,
              ": expected (*, L, E), (*, S, E), (*, S, Ev) of one rank >= 2");
  EMBER_CHECK(lead_of(q) == lead_of(k) && lead_of(q) == lead_of(v), kOp, ": ", shapes,
              ": leading dimensions differ (no broadcasting)");
  EMBER_CHECK(q.size(-1) == k.size(-1), kOp, ": ", shapes, ": query and key embedding sizes E ", q.size(-1), " and ",
              k.size(-1), " differ");
  EMBER_CHECK(k.size(-2) == v.size(-2), kOp, ": ", shapes, ": key and value sequence lengths S ", k.size(-2),
              " and ", v.size(-2), " differ");
  EMBER_CHECK(dropout_p >= 0.0 && dropout_p < 1.0, kOp, ": dropout_p must be in [0, 1), got ", dropout_p);
  EMBER_CHECK(std::isfinite(scale), kOp, ": scale must be finite, got ", scale);
}

/// The (L, S) boolean mask of the keys above the causal diagonal (j > i), on d.
Tensor causal_mask(int64_t L, int64_t S, const Device& d) {
  Tensor i = arange(L, TensorOptions(DType::Int64).with_device(d)).reshape({L, 1});
  Tensor j = arange(S, TensorOptions(DType::Int64).with_device(d)).reshape({1, S});
  return gt(j, i);
}

}  // namespace

namespace ops {

Tensor sdpa_composed(const Tensor& q, const Tensor& k, const Tensor& v, bool causal, double dropout_p, double scale) {
  Tensor s = mul(matmul(q, k.transpose(-1, -2)), scale);  // (*, L, S)
  if (causal) s = masked_fill(s, causal_mask(q.size(-2), k.size(-2), q.device()), -std::numeric_limits<double>::infinity());
  Tensor p = softmax(s, -1);
  if (dropout_p > 0.0) p = dropout(p, dropout_p, true);
  return matmul(p, v);
}

}  // namespace ops

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool causal, double dropout_p,
                                    double scale) {
  if (auto c = amp::detail::autocast_lower({q, k, v}))
    return scaled_dot_product_attention((*c)[0], (*c)[1], (*c)[2], causal, dropout_p, scale);
  check_args(q, k, v, dropout_p, scale);
  const int64_t L = q.size(-2), S = k.size(-2), E = q.size(-1), Ev = v.size(-1);
  const double sc = scale > 0.0 ? scale : 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(E, 1)));
  static const ops::KernelRef<kernels::AttentionSoftmaxKernel> fwd_ref(kernels::kAttentionSoftmax);
  static const ops::KernelRef<kernels::AttentionSoftmaxBackwardKernel> bwd_ref(kernels::kAttentionSoftmaxBackward);
  const auto fwd = fwd_ref(q.device());
  const auto bwd = bwd_ref(q.device());
  if (!fwd.native(q.dtype()) || !bwd.native(q.dtype())) return ops::sdpa_composed(q, k, v, causal, dropout_p, sc);

  const Shape lead = lead_of(q);
  const int64_t B = shape_numel(lead);
  Shape out_shape = lead;
  out_shape.insert(out_shape.end(), {L, Ev});
  // The dropout stream: one seed from the default generator, as dropout() draws it.
  const uint64_t seed = dropout_p > 0.0 ? default_generator().next_u64() : 0;
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(dropout_p * 4294967296.0));  // keep iff u32 >= it
  const double keep = 1.0 / (1.0 - dropout_p);

  Tensor q3, k3, v3, p, pd, out;
  {
    NoGradGuard ng;
    q3 = gemm_operand(q.reshape({B, L, E}));
    k3 = gemm_operand(k.reshape({B, S, E}));
    v3 = gemm_operand(v.reshape({B, S, Ev}));
    p = make_empty({B, L, S}, q.dtype(), q.device());
    Tensor o = make_empty({B, L, Ev}, q.dtype(), q.device());
    if (p.numel() > 0) {
      mm(q3, k3.transpose(1, 2), p, sc);  // scaled scores, then P in place
      TensorArg pd_arg;
      if (dropout_p > 0.0) {
        pd = make_empty({B, L, S}, q.dtype(), q.device());
        pd_arg = arg_of(pd);
      }
      fwd(arg_of(p), arg_of(p), dropout_p > 0.0 ? &pd_arg : nullptr, causal, seed, threshold, keep);
    }
    if (!pd.defined()) pd = p;
    if (o.numel() > 0) {
      if (p.numel() > 0) mm(pd, v3, o);
      else o.fill_(0.0);  // S == 0: nothing to attend
    }
    out = o.reshape(out_shape);
  }
  if (!autograd::should_record({q, k, v})) return out;
  autograd::record(kOp, {q, k, v}, {out},
                   [q, k, v, q3, k3, v3, p, pd, bwd, B, L, S, E, Ev, causal, sc, seed, threshold, keep,
                    dropped = dropout_p > 0.0](const GradList& g) {
                     if (!g[0].defined()) return GradList{Tensor(), Tensor(), Tensor()};
                     Tensor go = gemm_operand(g[0].to(q.dtype()).reshape({B, L, Ev}));
                     Tensor dq, dk, dv;
                     if (v.requires_grad()) {
                       dv = make_empty({B, S, Ev}, q.dtype(), q.device());
                       if (dv.numel() > 0) {
                         if (L > 0) mm(pd.transpose(1, 2), go, dv);
                         else dv.fill_(0.0);
                       }
                       dv = dv.reshape(v.shape());
                     }
                     if (q.requires_grad() || k.requires_grad()) {
                       Tensor ds = make_empty({B, L, S}, q.dtype(), q.device());
                       if (ds.numel() > 0) {
                         if (Ev > 0) mm(go, v3.transpose(1, 2), ds);
                         else ds.fill_(0.0);
                         bwd(arg_of(ds), arg_of(p), arg_of(ds), causal, sc, seed, dropped ? threshold : 0,
                             dropped ? keep : 1.0);
                       }
                       if (q.requires_grad()) {
                         dq = make_empty({B, L, E}, q.dtype(), q.device());
                         if (dq.numel() > 0) {
                           if (S > 0) mm(ds, k3, dq);
                           else dq.fill_(0.0);
                         }
                         dq = dq.reshape(q.shape());
                       }
                       if (k.requires_grad()) {
                         dk = make_empty({B, S, E}, q.dtype(), q.device());
                         if (dk.numel() > 0) {
                           if (L > 0) mm(ds.transpose(1, 2), q3, dk);
                           else dk.fill_(0.0);
                         }
                         dk = dk.reshape(k.shape());
                       }
                     }
                     return GradList{dq, dk, dv};
                   });
  return out;
}

}  // namespace ember
