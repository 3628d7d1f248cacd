// scaled_dot_product_attention: checks, then one autograd node. Forward: S = scale * q k^T on
// the matmul kernel, one fused row pass (causal mask from indices, softmax, dropout; P and the
// dropped Pd kept for the backward), O = Pd v. Backward: dV = Pd^T dO, dPd = dO v^T, one fused
// row pass dS = scale * P * (dP - rowsum(dP * P)) with the dropout mask redrawn, dQ = dS k,
// dK = dS^T q. On the CPU the batch runs in chunks of heads whose weights stay in cache between
// the GEMMs and the row pass; with a causal mask the GEMMs run in row/key blocks that skip most
// of the zero weights above the diagonal. Backends without the row kernels run the composed form
// (sdpa_composed).
#include "ember/ops/attention.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

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

/// c = alpha * a b over the batch (all (B, *, *)), on the matmul kernel; zeros when the inner
/// dimension is 0.
void mm(const Tensor& a, const Tensor& b, const Tensor& c, double alpha = 1.0) {
  static const ops::KernelRef<kernels::MatmulKernel> kernel(kernels::kMatmul);
  if (c.numel() == 0) return;
  if (a.size(2) == 0) return c.fill_(0.0);
  kernel(c.device())(arg_of(a), arg_of(b), arg_of(c), nullptr, alpha, 0.0);
}

/// t[a:b] along dim d.
Tensor part(const Tensor& t, int64_t d, int64_t a, int64_t b) { return t.slice(d, a, b); }

/// Heads per chunk: the op runs GEMM, row pass and GEMM on one chunk of the batch before the
/// next, so that on a CPU a chunk's (L, S) weights are still in cache for the second GEMM and the
/// row pass (about kChunkBytes of them; the whole batch elsewhere).
constexpr int64_t kChunkBytes = 512 << 10;
int64_t chunk_of(const Device& d, int64_t B, int64_t L, int64_t S, DType t) {
  if (!d.is_cpu()) return std::max<int64_t>(B, 1);
  const int64_t per_head = std::max<int64_t>(1, L * S * static_cast<int64_t>(dtype_size(t)));
  return std::clamp<int64_t>(kChunkBytes / per_head, 1, std::max<int64_t>(B, 1));
}

/// What the backward needs of one call's forward.
struct Saved {
  Tensor q3, k3, v3, p, pd;  // (B, L, E), (B, S, E), (B, S, Ev), (B, L, S) weights and dropped weights
  bool causal;
  double scale;
  uint64_t seed, threshold;
  double keep;
};

/// The blocks [begin, end) of n query rows (or keys) the GEMMs are split into: one block, or
/// with a causal mask blocks of kCausalBlock, since query rows [r0, r1) attend only keys
/// [0, min(r1, S)) and keys [c0, c1) only rows [c0, L): the blocks' GEMMs skip most of the
/// zeros above the diagonal.
constexpr int64_t kCausalBlock = 64;
std::vector<std::array<int64_t, 2>> blocks(int64_t n, bool causal) {
  const int64_t step = causal ? kCausalBlock : std::max<int64_t>(n, 1);
  std::vector<std::array<int64_t, 2>> v;
  for (int64_t b = 0; b < n; b += step) v.push_back({b, std::min(n, b + step)});
  return v;
}

/// The keys query rows before r1 attend, and the first query row that attends key c0.
int64_t keys_before(const Saved& s, int64_t r1) { return s.causal ? std::min(r1, s.k3.size(1)) : s.k3.size(1); }
int64_t first_query(const Saved& s, int64_t c0) { return s.causal ? std::min(c0, s.q3.size(1)) : 0; }

/// t[:, a:b] and t[:, a:b, c:d] of a (B, *, *) tensor.
Tensor rows(const Tensor& t, int64_t a, int64_t b) { return t.slice(1, a, b); }
Tensor tile(const Tensor& t, int64_t a, int64_t b, int64_t c, int64_t d) { return t.slice(1, a, b).slice(2, c, d); }

/// The forward of heads [b0, b1): S = scale q k^T, row pass into P (and Pd), O = Pd v.
void forward_chunk(const Saved& s, const Tensor& o, int64_t b0, int64_t b1,
                   const ops::KernelCall<kernels::AttentionSoftmaxKernel>& fwd) {
  const Tensor p = part(s.p, 0, b0, b1), pd = part(s.pd, 0, b0, b1), q = part(s.q3, 0, b0, b1),
               k = part(s.k3, 0, b0, b1), v = part(s.v3, 0, b0, b1), oc = part(o, 0, b0, b1);
  const int64_t L = p.size(1);
  if (p.numel() > 0) {
    for (auto [r0, r1] : blocks(L, s.causal)) {
      const int64_t n = keys_before(s, r1);
      mm(rows(q, r0, r1), rows(k, 0, n).transpose(1, 2), tile(p, r0, r1, 0, n), s.scale);
    }
    TensorArg pd_arg = arg_of(pd);
    const bool dropped = !s.pd.is_same(s.p);
    fwd(arg_of(p), arg_of(p), dropped ? &pd_arg : nullptr, s.causal, s.seed,
        static_cast<uint64_t>(b0 * p.size(1) * p.size(2)), s.threshold, s.keep);
  }
  for (auto [r0, r1] : blocks(L, s.causal)) {
    const int64_t n = keys_before(s, r1);
    mm(tile(pd, r0, r1, 0, n), rows(v, 0, n), rows(oc, r0, r1));
  }
}

/// The backward of heads [b0, b1) for the gradients asked for (defined outputs).
void backward_chunk(const Saved& s, const Tensor& go, const Tensor& dq, const Tensor& dk, const Tensor& dv, int64_t b0,
                    int64_t b1, const ops::KernelCall<kernels::AttentionSoftmaxBackwardKernel>& bwd) {
  const Tensor p = part(s.p, 0, b0, b1), pd = part(s.pd, 0, b0, b1), g = part(go, 0, b0, b1),
               q = part(s.q3, 0, b0, b1), k = part(s.k3, 0, b0, b1), v = part(s.v3, 0, b0, b1);
  const int64_t L = p.size(1), S = p.size(2);
  if (dv.defined()) {  // dV = Pd^T dO
    const Tensor dvc = part(dv, 0, b0, b1);
    for (auto [c0, c1] : blocks(S, s.causal)) {
      const int64_t r0 = first_query(s, c0);
      mm(tile(pd, r0, L, c0, c1).transpose(1, 2), rows(g, r0, L), rows(dvc, c0, c1));
    }
  }
  if (!dq.defined() && !dk.defined()) return;
  Tensor ds = make_empty(p.shape(), p.dtype(), p.device());  // dPd = dO v^T, then dS in place
  for (auto [r0, r1] : blocks(L, s.causal)) {
    const int64_t n = keys_before(s, r1);
    mm(rows(g, r0, r1), rows(v, 0, n).transpose(1, 2), tile(ds, r0, r1, 0, n));
  }
  const bool dropped = !s.pd.is_same(s.p);
  if (ds.numel() > 0)
    bwd(arg_of(ds), arg_of(p), arg_of(ds), s.causal, s.scale, s.seed, static_cast<uint64_t>(b0 * L * S),
        dropped ? s.threshold : 0, dropped ? s.keep : 1.0);
  if (dq.defined()) {  // dQ = dS k
    const Tensor dqc = part(dq, 0, b0, b1);
    for (auto [r0, r1] : blocks(L, s.causal)) {
      const int64_t n = keys_before(s, r1);
      mm(tile(ds, r0, r1, 0, n), rows(k, 0, n), rows(dqc, r0, r1));
    }
  }
  if (dk.defined()) {  // dK = dS^T q
    const Tensor dkc = part(dk, 0, b0, b1);
    for (auto [c0, c1] : blocks(S, s.causal)) {
      const int64_t r0 = first_query(s, c0);
      mm(tile(ds, r0, L, c0, c1).transpose(1, 2), rows(q, r0, L), rows(dkc, c0, c1));
    }
  }
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
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (causal) s = masked_fill(s, causal_mask(q.size(-2), k.size(-2), q.device()), neg_inf);
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

  Saved sv{Tensor(), Tensor(), Tensor(), Tensor(), Tensor(), causal, sc, seed, threshold, keep};
  const int64_t chunk = chunk_of(q.device(), B, L, S, q.dtype());
  Tensor out;
  {
    NoGradGuard ng;
    sv.q3 = gemm_operand(q.reshape({B, L, E}));
    sv.k3 = gemm_operand(k.reshape({B, S, E}));
    sv.v3 = gemm_operand(v.reshape({B, S, Ev}));
    sv.p = make_empty({B, L, S}, q.dtype(), q.device());
    sv.pd = dropout_p > 0.0 ? make_empty({B, L, S}, q.dtype(), q.device()) : sv.p;
    Tensor o = make_empty({B, L, Ev}, q.dtype(), q.device());
    for (int64_t b0 = 0; b0 < B; b0 += chunk) forward_chunk(sv, o, b0, std::min(B, b0 + chunk), fwd);
    out = o.reshape(out_shape);
  }
  if (!autograd::should_record({q, k, v})) return out;
  autograd::record(kOp, {q, k, v}, {out}, [q, k, v, sv, bwd, B, L, Ev, chunk](const GradList& g) {
    if (!g[0].defined()) return GradList{Tensor(), Tensor(), Tensor()};
    Tensor go = gemm_operand(g[0].to(q.dtype()).reshape({B, L, Ev}));
    auto grad_for = [&](const Tensor& x, const Tensor& x3) {
      return x.requires_grad() ? make_empty(x3.shape(), x3.dtype(), x3.device()) : Tensor();
    };
    Tensor dq = grad_for(q, sv.q3), dk = grad_for(k, sv.k3), dv = grad_for(v, sv.v3);
    for (int64_t b0 = 0; b0 < B; b0 += chunk) backward_chunk(sv, go, dq, dk, dv, b0, std::min(B, b0 + chunk), bwd);
    auto shaped = [](const Tensor& d, const Tensor& x) { return d.defined() ? d.reshape(x.shape()) : d; };
    return GradList{shaped(dq, q), shaped(dk, k), shaped(dv, v)};
  });
  return out;
}

}  // namespace ember
