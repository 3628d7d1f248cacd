// CPU matmul kernels: the reference batched GEMM loops (the truth) and the dispatcher that
// tries the fast paths first when they are enabled: GEMV for single rows, then oneDNN.
#include <algorithm>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/fast_path.h"
#include "backends/cpu/gemv.h"
#include "backends/cpu/onednn/matmul.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/matmul.h"

namespace ember::cpu {
namespace {

/// Element offsets of each batch matrix of a, b and c (batch dims = all but the last two).
void batch_offsets(const TensorArg& a, const TensorArg& b, const TensorArg& c, std::vector<int64_t>& oa,
                   std::vector<int64_t>& ob, std::vector<int64_t>& oc) {
  const size_t nb = c.sizes.size() - 2;
  Shape sizes(c.sizes.begin(), c.sizes.begin() + nb);
  Shape sa(a.strides.begin(), a.strides.begin() + nb), sb(b.strides.begin(), b.strides.begin() + nb),
      sc(c.strides.begin(), c.strides.begin() + nb);
  int64_t n = shape_numel(sizes);
  oa.reserve(n), ob.reserve(n), oc.reserve(n);
  for_each_offset<3>(sizes, {&sa, &sb, &sc}, 0, n, [&](const std::array<int64_t, 3>& o) {
    oa.push_back(o[0]);
    ob.push_back(o[1]);
    oc.push_back(o[2]);
  });
}

template <class T>
void matmul_ref(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
                double beta) {
  using A = acc_t<T>;  // double for float64, float otherwise
  const int64_t nd = c.dim();
  const int64_t M = c.sizes[nd - 2], N = c.sizes[nd - 1], K = a.sizes[nd - 1];
  const int64_t am = a.strides[nd - 2], ak = a.strides[nd - 1];
  const int64_t bk = b.strides[nd - 2], bn = b.strides[nd - 1];
  const int64_t cm = c.strides[nd - 2], cn = c.strides[nd - 1];
  std::vector<int64_t> oa, ob, oc;
  batch_offsets(a, b, c, oa, ob, oc);
  const int64_t nbatch = static_cast<int64_t>(oc.size());
  const T* pa = ptr<const T>(a);
  const T* pb = ptr<const T>(b);
  T* pc = ptr<T>(c);
  const T* pbias = bias ? ptr<const T>(*bias) : nullptr;
  const int64_t sbias = bias ? bias->strides[0] : 0;
  const A al = static_cast<A>(alpha), be = static_cast<A>(beta);
  // axpy order (rows of b streamed) when b's rows are contiguous, dot order otherwise.
  const bool axpy = bn == 1;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, K * N));
  parallel_for(nbatch * M, grain, [&](int64_t begin, int64_t end) {
    std::vector<A> row(static_cast<size_t>(N));
    for (int64_t r = begin; r < end; ++r) {
      const int64_t bi = r / M, i = r % M;
      const T* arow = pa + oa[bi] + i * am;
      const T* bmat = pb + ob[bi];
      if (axpy) {
        std::fill(row.begin(), row.end(), A(0));
        for (int64_t k = 0; k < K; ++k) {
          const A av = static_cast<A>(arow[k * ak]);
          const T* brow = bmat + k * bk;
          for (int64_t j = 0; j < N; ++j) row[j] += av * static_cast<A>(brow[j]);
        }
      } else {
        for (int64_t j = 0; j < N; ++j) {
          const T* bcol = bmat + j * bn;
          A s = 0;
          for (int64_t k = 0; k < K; ++k) s += static_cast<A>(arow[k * ak]) * static_cast<A>(bcol[k * bk]);
          row[j] = s;
        }
      }
      T* crow = pc + oc[bi] + i * cm;
      for (int64_t j = 0; j < N; ++j) {
        A v = al * row[j];
        if (beta != 0) v += be * static_cast<A>(crow[j * cn]);
        if (pbias) v += static_cast<A>(pbias[j * sbias]);
        crow[j * cn] = static_cast<T>(v);
      }
    }
  });
}

void matmul_kernel(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
                   double beta) {
  EMBER_CHECK(a.dtype == b.dtype && a.dtype == c.dtype && (!bias || bias->dtype == c.dtype),
              "matmul kernel: operands must share one dtype");
  EMBER_CHECK(c.dim() >= 2 && a.dim() == c.dim() && b.dim() == c.dim(), "matmul kernel: operands must have rank >= 2");
  if (c.numel() == 0) return;
  if (fast_paths_enabled()) {
    if (gemv(a, b, c, bias, alpha, beta)) return;  // single rows: skip oneDNN's per-call setup
    if (onednn::matmul(a, b, c, bias, alpha, beta)) return;
  }
  EMBER_DISPATCH_FLOATING(c.dtype, "matmul", { matmul_ref<scalar_t>(a, b, c, bias, alpha, beta); });
}

}  // namespace

void register_matmul_kernels(KernelTable& t) { t.set(kernels::kMatmul, matmul_kernel); }

}  // namespace ember::cpu
