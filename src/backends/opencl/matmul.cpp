// OpenCL matmul kernel: batched GEMM through CLBlast over strided operands. Matrices stored
// row- or column-major (any padding) go to CLBlast as they are; other layouts are made dense
// on the device first. Batch dims become one strided-batched GEMM when they merge into one
// stride, else a batched GEMM with explicit offsets; one long-K GEMM with a small result is
// split along K (gemm_split_k). Bias and beta * C are folded into C
// first (kernels/matmul.cl); 16-bit dtypes compute in float32 on the device.
#include <algorithm>
#include <optional>
#include <vector>

#include "core/kernels/matmul.h"
#include "gemm.h"
#include "launch.h"
#include "opencl_backend.h"
#include "temp_buffer.h"

namespace ember::opencl {
namespace {

/// How CLBlast can read an (rows x cols) matrix with strides (sr, sc); nullopt if it cannot.
std::optional<GemmOperand> layout_of(const TensorArg& t, int64_t rows, int64_t cols) {
  const int64_t nd = t.dim(), sr = t.strides[nd - 2], sc = t.strides[nd - 1];
  GemmOperand o;
  o.mem = buffer_of(t).mem;
  o.offset = static_cast<size_t>(t.offset);
  if ((cols == 1 || sc == 1) && (rows == 1 || sr >= cols)) {
    o.ld = static_cast<size_t>(rows == 1 ? cols : sr);
    return o;
  }
  if ((rows == 1 || sr == 1) && (cols == 1 || sc >= rows)) {
    o.trans = true;
    o.ld = static_cast<size_t>(cols == 1 ? rows : sc);
    return o;
  }
  return std::nullopt;
}

/// c = beta * c (or 0 when beta == 0) + bias, over all of c.
void prologue(const TensorArg& c, const TensorArg* bias, double beta) {
  ClDevice& dev = device_of(c);
  const int64_t n = c.numel();
  Launch l(dev, dev.kernel("matmul", {{"T", c.dtype}}, "matmul_prologue"));
  l.buffer(c).view(strided_view(c));
  if (bias) l.buffer(*bias).value<cl_long>(bias->offset).value<cl_long>(bias->strides[0]).value<cl_int>(1);
  else l.buffer(c).value<cl_long>(0).value<cl_long>(0).value<cl_int>(0);
  if (c.dtype == DType::Float64) l.value<cl_double>(beta);
  else l.value<cl_float>(static_cast<float>(beta));
  l.value<cl_long>(n).value<cl_long>(c.sizes.back()).run(static_cast<size_t>(n));
}

/// The batch dims of a, b, c (all but the last two) merged where all three walk them as one,
/// size-1 dims dropped: sizes and each operand's strides.
struct Batch {
  Shape sizes, sa, sb, sc;
};
Batch merged_batch(const TensorArg& a, const TensorArg& b, const TensorArg& c) {
  Batch r;
  const size_t nb = c.sizes.size() - 2;
  for (size_t d = 0; d < nb; ++d) {
    const int64_t s = c.sizes[d];
    if (s == 1) continue;
    if (!r.sizes.empty() && r.sa.back() == a.strides[d] * s && r.sb.back() == b.strides[d] * s &&
        r.sc.back() == c.strides[d] * s) {
      r.sizes.back() *= s;
      r.sa.back() = a.strides[d], r.sb.back() = b.strides[d], r.sc.back() = c.strides[d];
    } else {
      r.sizes.push_back(s);
      r.sa.push_back(a.strides[d]), r.sb.push_back(b.strides[d]), r.sc.push_back(c.strides[d]);
    }
  }
  return r;
}

/// The GEMMs of c = alpha * a b + beta * c for float32/float64 operands CLBlast can read
/// (a, b, c already checked by layout_of; c not transposed).
void run_gemms(DType t, const TensorArg& a, const TensorArg& b, const TensorArg& c, GemmOperand ga, GemmOperand gb,
               GemmOperand gc, double alpha, double beta) {
  ClDevice& dev = device_of(c);
  const int64_t nd = c.dim();
  GemmShape s{static_cast<size_t>(c.sizes[nd - 2]), static_cast<size_t>(c.sizes[nd - 1]),
              static_cast<size_t>(a.sizes[nd - 1])};
  bool swap = false;
  if (gc.trans) {  // C column-major: compute C^T = B^T A^T, which is row-major
    swap = true;
    std::swap(ga, gb);
    ga.trans = !ga.trans, gb.trans = !gb.trans, gc.trans = false;
    std::swap(s.m, s.n);
  }
  Batch bt = merged_batch(a, b, c);
  if (swap) std::swap(bt.sa, bt.sb);
  if (bt.sizes.empty()) return gemm_split_k(dev, t, s, alpha, ga, gb, beta, gc);
  if (bt.sizes.size() == 1)
    return gemm_strided_batched(dev, t, s, alpha, ga, static_cast<size_t>(bt.sa[0]), gb,
                                static_cast<size_t>(bt.sb[0]), beta, gc, static_cast<size_t>(bt.sc[0]),
                                static_cast<size_t>(bt.sizes[0]));
  const int64_t count = shape_numel(bt.sizes);
  std::vector<size_t> oa, ob, oc;
  oa.reserve(count), ob.reserve(count), oc.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i, xa = 0, xb = 0, xc = 0;
    for (size_t d = bt.sizes.size(); d-- > 0;) {
      const int64_t k = rest % bt.sizes[d];
      rest /= bt.sizes[d];
      xa += k * bt.sa[d], xb += k * bt.sb[d], xc += k * bt.sc[d];
    }
    oa.push_back(ga.offset + xa), ob.push_back(gb.offset + xb), oc.push_back(gc.offset + xc);
  }
  gemm_batched(dev, t, s, alpha, ga, oa, gb, ob, beta, gc, oc);
}

/// c = alpha * a b + beta * c + bias for float32/float64 operands of any strides.
void matmul_float(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
                  double beta) {
  const int64_t nd = c.dim(), M = c.sizes[nd - 2], N = c.sizes[nd - 1], K = a.sizes[nd - 1];
  std::optional<GemmOperand> gc = layout_of(c, M, N);
  if (!gc) {  // c's matrices are neither row- nor column-major: work in a dense copy
    TempTensor ct(device_of(c), c.dtype, c.sizes);
    if (beta != 0) device_copy(c, ct.arg());
    matmul_float(a, b, ct.arg(), bias, alpha, beta);
    device_copy(ct.arg(), c);
    return;
  }
  if (K == 0 || bias) {  // fold beta * c + bias into c, then accumulate the product onto it
    prologue(c, bias, beta);
    if (K == 0) return;
    beta = 1;
  }
  std::optional<DenseCopy> da, db;
  std::optional<GemmOperand> ga = layout_of(a, M, K), gb = layout_of(b, K, N);
  if (!ga) da.emplace(a, a.dtype, nd - 2), ga = layout_of(da->arg, M, K);
  if (!gb) db.emplace(b, b.dtype, nd - 2), gb = layout_of(db->arg, K, N);
  run_gemms(c.dtype, da ? da->arg : a, db ? db->arg : b, c, *ga, *gb, *gc, alpha, beta);
}

void matmul_kernel(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
                   double beta) {
  EMBER_CHECK(a.dtype == b.dtype && a.dtype == c.dtype && (!bias || bias->dtype == c.dtype),
              "matmul kernel: operands must share one dtype");
  EMBER_CHECK(c.dim() >= 2 && a.dim() == c.dim() && b.dim() == c.dim(), "matmul kernel: operands must have rank >= 2");
  EMBER_CHECK(is_floating(c.dtype), "matmul kernel: dtype ", dtype_name(c.dtype), " is not floating");
  if (c.numel() == 0) return;
  ClDevice& dev = device_of(c);
  if (c.dtype == DType::Float32 || c.dtype == DType::Float64) return matmul_float(a, b, c, bias, alpha, beta);
  // float16 / bfloat16: float32 copies on the device, one rounding back at the end (as the CPU).
  DenseCopy fa(a, DType::Float32, a.dim() - 2), fb(b, DType::Float32, b.dim() - 2);
  std::optional<DenseCopy> fbias;
  if (bias) fbias.emplace(*bias, DType::Float32);
  TempTensor fc(dev, DType::Float32, c.sizes);
  if (beta != 0) device_copy(c, fc.arg());
  matmul_float(fa.arg, fb.arg, fc.arg(), fbias ? &fbias->arg : nullptr, alpha, beta);
  device_copy(fc.arg(), c);
}

}  // namespace

void register_matmul_kernels(KernelTable& t, DTypeMask computes) { t.set(kernels::kMatmul, matmul_kernel, computes); }

}  // namespace ember::opencl
