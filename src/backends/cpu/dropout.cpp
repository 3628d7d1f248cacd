// CPU dropout kernel (core/kernels/fused.h): each element's uniform is drawn from the
// counter-based splitmix64 stream inside the pass, so chunks run in parallel, nothing is
// stored for the backward, and the result equals x times the host-built mask bit for bit.
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/dispatch.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/strided.h"
#include "core/kernels/fused.h"

namespace ember::cpu {
namespace {

/// Pairs [b, e) of elements: o[i] = in[i] * keep where element i's uniform clears threshold,
/// else * 0. Restrict-qualified and branch-free (the keep/drop choice is a select, never a jump:
/// a 30% coin flip mispredicts), so it vectorises.
template <class E, class A>
void apply_pairs(const E* __restrict in, E* __restrict o, int64_t b, int64_t e, uint64_t seed, uint64_t threshold, A k) {
  for (int64_t j = b; j < e; ++j) {
    const uint64_t r = kernels::splitmix64(seed, static_cast<uint64_t>(j));
    const A m0 = (r & 0xffffffffu) >= threshold ? k : A(0), m1 = (r >> 32) >= threshold ? k : A(0);
    o[2 * j] = static_cast<E>(static_cast<A>(in[2 * j]) * m0);
    o[2 * j + 1] = static_cast<E>(static_cast<A>(in[2 * j + 1]) * m1);
  }
}

template <class E>
void dropout_typed(const TensorArg& x, const TensorArg& out, uint64_t seed, uint64_t threshold, double keep) {
  using A = acc_t<E>;
  const E* in = ptr<const E>(x);
  E* o = ptr<E>(out);
  const A k = static_cast<A>(static_cast<E>(static_cast<A>(keep)));  // the mask value, in x's dtype
  const int64_t n = x.numel();
  // Pairs of elements share one 64-bit value: whole pairs first, then an odd last element.
  const int64_t pairs = n / 2;
  parallel_for(pairs, kGrainSize / 2, [&](int64_t b, int64_t e) { apply_pairs<E, A>(in, o, b, e, seed, threshold, k); });
  if (n % 2) {
    const uint64_t r = kernels::splitmix64(seed, static_cast<uint64_t>(pairs));
    o[n - 1] = static_cast<E>(static_cast<A>(in[n - 1]) * ((r & 0xffffffffu) >= threshold ? k : A(0)));
  }
}

void dropout_kernel(const TensorArg& x, const TensorArg& out, uint64_t seed, uint64_t threshold, double keep) {
  EMBER_CHECK(x.contiguous() && out.contiguous() && x.dtype == out.dtype && x.sizes == out.sizes,
              "dropout kernel: x and out must be contiguous with one dtype and shape");
  switch (x.dtype) {
    case DType::Float32: return dropout_typed<float>(x, out, seed, threshold, keep);
    case DType::Float64: return dropout_typed<double>(x, out, seed, threshold, keep);
    case DType::BFloat16: return dropout_typed<BFloat16>(x, out, seed, threshold, keep);
    case DType::Float16: return dropout_typed<Half>(x, out, seed, threshold, keep);
    default: EMBER_FAIL("dropout: unsupported dtype ", dtype_name(x.dtype), " (float32, float64, bfloat16, float16)");
  }
}

}  // namespace

void register_dropout_kernels(KernelTable& t) { t.set(kernels::kDropout, dropout_kernel); }

}  // namespace ember::cpu
