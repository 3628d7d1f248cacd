// Single-row GEMM (GEMV) fast path, see gemv.h. Two loop orders, picked by b's layout:
//  - dot form (b's columns contiguous, i.e. linear's transposed weight): each output is a dot
//    product of a with one weight row; kRows rows at a time give independent accumulators,
//    so the vectorised loop is bound by loads, not by FMA latency;
//  - axpy form (b's rows contiguous): rows of b are scaled by a[k] and summed into a block of
//    accumulators that stays in L1.
// Threads split N, so each thread keeps reading the same slice of a weight matrix (it stays in
// that core's L2 between calls); small products run inline without touching OpenMP.
#include "backends/cpu/gemv.h"

#include <algorithm>
#include <atomic>

#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"

namespace ember::cpu {
namespace {

std::atomic<uint64_t> g_calls{0};

constexpr int64_t kRows = 8;     // dot form: outputs computed together
constexpr int64_t kBlock = 256;  // axpy form: accumulators per block (1 KiB)

/// The epilogue of the kernel contract for one output: alpha * s + beta * c + bias.
struct Store {
  float* c;
  int64_t cn;
  const float* bias;
  int64_t sbias;
  float alpha, beta;
  void operator()(int64_t j, float s) const {
    float v = alpha * s;
    if (beta != 0.f) v += beta * c[j * cn];
    if (bias) v += bias[j * sbias];
    c[j * cn] = v;
  }
};

/// Outputs [j0, j1) of the dot form: out_j = sum_k x[k] * w[j * ldw + k].
void dot_form(const float* x, const float* w, int64_t ldw, int64_t K, int64_t j0, int64_t j1, const Store& store) {
  int64_t j = j0;
  for (; j + kRows <= j1; j += kRows) {
    const float* r = w + j * ldw;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3, s4, s5, s6, s7)
    for (int64_t k = 0; k < K; ++k) {
      const float v = x[k];
      s0 += v * r[k];
      s1 += v * r[ldw + k];
      s2 += v * r[2 * ldw + k];
      s3 += v * r[3 * ldw + k];
      s4 += v * r[4 * ldw + k];
      s5 += v * r[5 * ldw + k];
      s6 += v * r[6 * ldw + k];
      s7 += v * r[7 * ldw + k];
    }
    const float s[kRows] = {s0, s1, s2, s3, s4, s5, s6, s7};
    for (int64_t i = 0; i < kRows; ++i) store(j + i, s[i]);
  }
  for (; j < j1; ++j) {
    const float* r = w + j * ldw;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t k = 0; k < K; ++k) s += x[k] * r[k];
    store(j, s);
  }
}

/// Outputs [j0, j1) of the axpy form: out_j = sum_k x[k] * w[k * ldw + j].
void axpy_form(const float* x, const float* w, int64_t ldw, int64_t K, int64_t j0, int64_t j1, const Store& store) {
  float acc[kBlock];
  for (int64_t jb = j0; jb < j1; jb += kBlock) {
    const int64_t n = std::min(kBlock, j1 - jb);
    std::fill(acc, acc + n, 0.f);
    for (int64_t k = 0; k < K; ++k) {
      const float v = x[k];
      const float* r = w + k * ldw + jb;
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) acc[i] += v * r[i];
    }
    for (int64_t i = 0; i < n; ++i) store(jb + i, acc[i]);
  }
}

}  // namespace

bool gemv(const TensorArg& a, const TensorArg& b, const TensorArg& c, const TensorArg* bias, double alpha,
          double beta) {
  const int64_t nd = c.dim();
  if (c.dtype != DType::Float32 || nd < 2 || c.sizes[nd - 2] != 1) return false;
  for (int64_t d = 0; d + 2 < nd; ++d)
    if (c.sizes[d] != 1) return false;  // one matrix only
  const int64_t K = a.sizes[nd - 1], N = c.sizes[nd - 1];
  const int64_t ak = a.strides[nd - 1], bk = b.strides[nd - 2], bn = b.strides[nd - 1];
  if (ak != 1 && K > 1) return false;
  const bool dot = bk == 1 || K == 1;
  if (!dot && bn != 1 && N > 1) return false;

  const float* x = ptr<const float>(a);
  const float* w = ptr<const float>(b);
  const Store store{ptr<float>(c), c.strides[nd - 1], bias ? ptr<const float>(*bias) : nullptr,
                    bias ? bias->strides[0] : 0, static_cast<float>(alpha), static_cast<float>(beta)};
  // Split N only when each thread gets a worthwhile share of multiply-adds.
  const int64_t grain = std::max<int64_t>(kRows, kGrainSize / std::max<int64_t>(K, 1));
  parallel_for(N, grain, [&](int64_t j0, int64_t j1) {
    if (dot) dot_form(x, w, bn, K, j0, j1, store);
    else axpy_form(x, w, bk, K, j0, j1, store);
  });
  g_calls.fetch_add(1, std::memory_order_relaxed);
  return true;
}

uint64_t gemv_fast_calls() { return g_calls.load(std::memory_order_relaxed); }

}  // namespace ember::cpu
