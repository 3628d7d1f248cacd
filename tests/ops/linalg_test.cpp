// Matrix product tests: matmul for every rank combination and linear, against naive loops
// written here; gradients, awkward layouts, size-0 dims, oneDNN fast path vs reference, errors.
#include "backends/cpu/fast_path.h"
#include "backends/cpu/onednn/matmul.h"
#include "core/backend.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

/// Naive batched product in double: a (B, M, K) x b (B, K, N) -> (B, M, N), row-major values.
Tensor naive_bmm(const Tensor& a, const Tensor& b) {
  const int64_t B = a.size(0), M = a.size(1), K = a.size(2), N = b.size(2);
  std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>(), z(B * M * N, 0.0);
  for (int64_t p = 0; p < B; ++p)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += x[(p * M + i) * K + k] * y[(p * K + k) * N + j];
        z[(p * M + i) * N + j] = s;
      }
  return from_vector(z, {B, M, N}, TensorOptions(kFloat64));
}
Tensor naive_mm(const Tensor& a, const Tensor& b) {
  return naive_bmm(a.reshape({1, a.size(0), a.size(1)}), b.reshape({1, b.size(0), b.size(1)}))
      .reshape({a.size(0), b.size(1)});
}

/// Runs a scope with the fast paths on (even under EMBER_CPU_REFERENCE=1), restoring the flag.
struct FastPathsOn {
  FastPathsOn() : prev(cpu::fast_paths_enabled()) { cpu::set_fast_paths_enabled(true); }
  ~FastPathsOn() { cpu::set_fast_paths_enabled(prev); }
  bool prev;
};

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
const Fn mm_fn = [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); };

}  // namespace

TEST(Matmul, Dot1D) {
  Tensor a = T({1, 2, 3}, {3}), b = T({4, -5, 6}, {3});
  Tensor c = matmul(a, b);
  EXPECT_EQ(c.dim(), 0);
  EXPECT_DOUBLE_EQ(c.item(), 4 - 10 + 18);
  EXPECT_GRADCHECK(mm_fn, {uniform({5}), uniform({5}, -1, 1, 2)});
}

TEST(Matmul, Matrix2D) {
  Tensor a = T({1, 2, 3, 4, 5, 6}, {2, 3}), b = T({7, 8, 9, 10, 11, 12}, {3, 2});
  EXPECT_ALLCLOSE(matmul(a, b), T({58, 64, 139, 154}, {2, 2}));  // hand-checked
  Tensor x = uniform({7, 9}), y = uniform({9, 5}, -1, 1, 2);
  EXPECT_ALLCLOSE(matmul(x, y), naive_mm(x, y), 1e-12, 1e-12);
  EXPECT_ALLCLOSE(matmul(x.to(kFloat32), y.to(kFloat32)), naive_mm(x, y), 1e-5, 1e-5);
  EXPECT_EQ(matmul(x.to(kFloat32), y.to(kFloat32)).dtype(), kFloat32);
  EXPECT_GRADCHECK(mm_fn, {uniform({3, 4}), uniform({4, 2}, -1, 1, 2)});
}

TEST(Matmul, VectorPromotion) {
  Tensor v = uniform({4}), m = uniform({4, 3}, -1, 1, 2), n = uniform({5, 4}, -1, 1, 3);
  // (K) x (K, N) -> (N), (M, K) x (K) -> (M)
  EXPECT_ALLCLOSE(matmul(v, m), naive_mm(v.reshape({1, 4}), m).reshape({3}), 1e-12, 1e-12);
  EXPECT_ALLCLOSE(matmul(n, v), naive_mm(n, v.reshape({4, 1})).reshape({5}), 1e-12, 1e-12);
  // (K) x (B, K, N) -> (B, N), (B, M, K) x (K) -> (B, M)
  Tensor bt = uniform({2, 4, 3}, -1, 1, 4), ba = uniform({2, 5, 4}, -1, 1, 5);
  EXPECT_ALLCLOSE(matmul(v, bt), naive_bmm(v.reshape({1, 1, 4}).expand({2, 1, 4}).contiguous(), bt).reshape({2, 3}),
                  1e-12, 1e-12);
  EXPECT_ALLCLOSE(matmul(ba, v), naive_bmm(ba, v.reshape({1, 4, 1}).expand({2, 4, 1}).contiguous()).reshape({2, 5}),
                  1e-12, 1e-12);
  EXPECT_GRADCHECK(mm_fn, {uniform({4}), uniform({4, 3}, -1, 1, 2)});
  EXPECT_GRADCHECK(mm_fn, {uniform({5, 4}), uniform({4}, -1, 1, 2)});
  EXPECT_GRADCHECK(mm_fn, {uniform({4}), uniform({2, 4, 3}, -1, 1, 2)});
  EXPECT_GRADCHECK(mm_fn, {uniform({2, 5, 4}), uniform({4}, -1, 1, 2)});
}

TEST(Matmul, BatchedBroadcast) {
  Tensor a = uniform({2, 1, 3, 4}), b = uniform({5, 4, 6}, -1, 1, 2);
  Tensor c = matmul(a, b);
  ASSERT_EQ(c.shape(), (Shape{2, 5, 3, 6}));
  Tensor ea = a.expand({2, 5, 3, 4}).contiguous().reshape({10, 3, 4});
  Tensor eb = b.expand({2, 5, 4, 6}).contiguous().reshape({10, 4, 6});
  EXPECT_ALLCLOSE(c, naive_bmm(ea, eb).reshape({2, 5, 3, 6}), 1e-12, 1e-12);
  EXPECT_ALLCLOSE(matmul(a.to(kFloat32), b.to(kFloat32)), naive_bmm(ea, eb).reshape({2, 5, 3, 6}), 1e-5, 1e-5);
  EXPECT_GRADCHECK(mm_fn, {uniform({2, 1, 3, 4}), uniform({5, 4, 6}, -1, 1, 2)});
  EXPECT_GRADCHECK(mm_fn, {uniform({3, 2, 4}), uniform({1, 4, 2}, -1, 1, 2)});
}

TEST(Matmul, BatchedWithMatrix) {
  // (B, M, K) x (K, N) folds into one 2-D GEMM; (M, K) x (B, K, N) broadcasts a.
  Tensor a = uniform({2, 3, 4}), m = uniform({4, 5}, -1, 1, 2);
  EXPECT_ALLCLOSE(matmul(a, m), naive_mm(a.reshape({6, 4}), m).reshape({2, 3, 5}), 1e-12, 1e-12);
  Tensor l = uniform({3, 4}, -1, 1, 3), b = uniform({2, 4, 5}, -1, 1, 4);
  EXPECT_ALLCLOSE(matmul(l, b), naive_bmm(l.reshape({1, 3, 4}).expand({2, 3, 4}).contiguous(), b), 1e-12, 1e-12);
  EXPECT_GRADCHECK(mm_fn, {uniform({2, 3, 4}), uniform({4, 5}, -1, 1, 2)});
  EXPECT_GRADCHECK(mm_fn, {uniform({3, 4}), uniform({2, 4, 5}, -1, 1, 2)});
}

TEST(Matmul, NonContiguousInputs) {
  Tensor a = uniform({6, 5}), b = uniform({5, 7}, -1, 1, 2);
  Tensor expected = naive_mm(a, b);
  EXPECT_ALLCLOSE(matmul(noncontiguous(a), noncontiguous(b)), expected, 1e-12, 1e-12);
  // Transposed views (column-major operands) and a strided slice (neither row- nor column-major).
  Tensor at = a.t().contiguous().t(), bt = b.t().contiguous().t();
  EXPECT_ALLCLOSE(matmul(at, bt), expected, 1e-12, 1e-12);
  Tensor wide = zeros({6, 10}, kFloat64);
  wide.slice(1, 0, 10, 2).copy_(a);
  EXPECT_ALLCLOSE(matmul(wide.slice(1, 0, 10, 2), b), expected, 1e-12, 1e-12);
  // Broadcast (stride-0) matrix dims and permuted batch dims, in float32 (fast path when on).
  Tensor row = uniform({1, 5}, -1, 1, 3);
  EXPECT_ALLCLOSE(matmul(row.expand({6, 5}).to(kFloat32), b.to(kFloat32)),
                  naive_mm(row.expand({6, 5}).contiguous(), b), 1e-5, 1e-5);
  Tensor p = uniform({3, 4, 2}, -1, 1, 4), q = uniform({2, 4, 5}, -1, 1, 5);  // p.permute -> (2, 3, 4)
  Tensor pp = p.permute({2, 0, 1});
  EXPECT_ALLCLOSE(matmul(pp.to(kFloat32), q.transpose(1, 2).contiguous().transpose(1, 2).to(kFloat32)),
                  naive_bmm(pp.contiguous(), q.contiguous()), 1e-5, 1e-5);
  EXPECT_GRADCHECK([](auto& x) { return matmul(x[0].t(), x[1].t()); }, {uniform({4, 3}), uniform({2, 4}, -1, 1, 2)});
}

TEST(Matmul, SizeZeroAndOne) {
  Tensor e = matmul(zeros({0, 3}), ones({3, 4}));
  EXPECT_EQ(e.shape(), (Shape{0, 4}));
  Tensor z = matmul(ones({2, 0}), ones({0, 3}));  // empty sum: zeros
  EXPECT_ALLCLOSE(z, zeros({2, 3}));
  EXPECT_EQ(matmul(ones({2, 0, 3}), ones({3, 4})).shape(), (Shape{2, 0, 4}));
  EXPECT_EQ(matmul(ones({0, 2, 3}), ones({1, 3, 4})).shape(), (Shape{0, 2, 4}));
  EXPECT_ALLCLOSE(matmul(ones({2, 3, 0}), ones({0, 4})), zeros({2, 3, 4}));
  EXPECT_DOUBLE_EQ(matmul(zeros({0}), zeros({0})).item(), 0.0);
  Tensor a = uniform({1, 1}), b = uniform({1, 1}, -1, 1, 2);
  EXPECT_NEAR(matmul(a, b).item(), a.item() * b.item(), 1e-15);
  // Gradients through empty inner dims are zeros of the right shape.
  Tensor x = zeros({2, 0}, kFloat64).set_requires_grad(), y = zeros({0, 3}, kFloat64).set_requires_grad();
  sum(matmul(x, y)).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{2, 0}));
  EXPECT_EQ(y.grad().shape(), (Shape{0, 3}));
  EXPECT_GRADCHECK(mm_fn, {uniform({1, 1, 3}), uniform({4, 3, 1}, -1, 1, 2)});
}

TEST(Matmul, ThreadedReferenceLoops) {
  // 64x128x96: rows x N x K well past kGrainSize, so the reference loops split over threads.
  cpu::ReferenceKernelsScope ref;
  Tensor a = uniform({2, 64, 96}), b = uniform({96, 128}, -1, 1, 2);
  Tensor eb = b.reshape({1, 96, 128}).expand({2, 96, 128}).contiguous();
  EXPECT_ALLCLOSE(matmul(a, b.t().contiguous().t()), naive_bmm(a, eb), 1e-12, 1e-12);  // dot order
  EXPECT_ALLCLOSE(matmul(a.to(kFloat32), b.to(kFloat32)), naive_bmm(a, eb), 1e-4, 1e-4);  // axpy order
}

TEST(Matmul, OneDnnFastPathVsReference) {
  FastPathsOn on;
  Tensor a = uniform({256, 384}).to(kFloat32), b = uniform({384, 512}, -1, 1, 2).to(kFloat32);
  Tensor ref;
  {
    cpu::ReferenceKernelsScope scope;
    ref = matmul(a, b);
  }
  uint64_t calls = cpu::onednn::matmul_fast_calls();
  Tensor fast = matmul(a, b);
  EXPECT_EQ(cpu::onednn::matmul_fast_calls(), calls + 1) << "float32 GEMM did not take the oneDNN path";
  EXPECT_ALLCLOSE(fast, ref, 1e-4, 1e-4);
  // A second call reuses the cached primitive.
  size_t cached = cpu::onednn::matmul_cache_size();
  EXPECT_ALLCLOSE(matmul(a, b), ref, 1e-4, 1e-4);
  EXPECT_EQ(cpu::onednn::matmul_cache_size(), cached);
  // Transposed and broadcast-batched operands on the fast path.
  Tensor bt = b.t().contiguous();
  EXPECT_ALLCLOSE(matmul(a, bt.t()), ref, 1e-4, 1e-4);
  Tensor x = uniform({3, 1, 17, 33}, -1, 1, 3).to(kFloat32), y = uniform({4, 33, 20}, -1, 1, 4).to(kFloat32);
  Tensor r2;
  {
    cpu::ReferenceKernelsScope scope;
    r2 = matmul(x, y);
  }
  calls = cpu::onednn::matmul_fast_calls();
  EXPECT_ALLCLOSE(matmul(x, y), r2, 1e-5, 1e-5);
  EXPECT_EQ(cpu::onednn::matmul_fast_calls(), calls + 1);
  // Backward (three GEMMs) on both paths.
  auto grads = [&](bool fast_on) {
    cpu::set_fast_paths_enabled(fast_on);
    Tensor p = x.detach().set_requires_grad(), q = y.detach().set_requires_grad();
    sum(mul(matmul(p, q), r2)).backward();
    cpu::set_fast_paths_enabled(true);
    return std::make_pair(p.grad(), q.grad());
  };
  auto [gf_a, gf_b] = grads(true);
  auto [gr_a, gr_b] = grads(false);
  EXPECT_ALLCLOSE(gf_a, gr_a, 1e-4, 1e-4);
  EXPECT_ALLCLOSE(gf_b, gr_b, 1e-4, 1e-4);
}

TEST(Matmul, BFloat16FastPath) {
  FastPathsOn on;
  Tensor a = uniform({64, 96}).to(kBFloat16), b = uniform({96, 80}, -1, 1, 2).to(kBFloat16);
  // float32 reference on the same (bf16-rounded) values; the bf16 result is rounded once more.
  Tensor ref;
  {
    cpu::ReferenceKernelsScope scope;
    ref = matmul(a.to(kFloat32), b.to(kFloat32));
    EXPECT_ALLCLOSE(matmul(a, b).to(kFloat32), ref, 1e-2, 2e-2);  // bf16 reference loops
  }
  // oneDNN has bfloat16 GEMMs on AVX-512 CPUs (native or emulated); elsewhere (AVX2) the
  // reference loops take it, and `ember device` says so.
  const amp::PrecisionSupport support = amp::precision_support(Device(), kBFloat16).support;
  const bool onednn_bf16 = support == amp::PrecisionSupport::Native || support == amp::PrecisionSupport::Emulated;
  std::string isa;
  for (const auto& [k, v] : get_backend(Device()).info().properties)
    if (k == "onednn_isa") isa = v;
  EXPECT_EQ(onednn_bf16, isa.rfind("avx512", 0) == 0) << isa << ": " << amp::precision_support(Device(), kBFloat16).detail;
  uint64_t calls = cpu::onednn::matmul_fast_calls();
  Tensor fast = matmul(a, b);
  EXPECT_EQ(fast.dtype(), kBFloat16);
  if (onednn_bf16)
    EXPECT_EQ(cpu::onednn::matmul_fast_calls(), calls + 1) << "bfloat16 GEMM did not take the oneDNN path";
  else
    EXPECT_EQ(cpu::onednn::matmul_fast_calls(), calls) << "oneDNN has no bfloat16 GEMM here, yet it was called";
  EXPECT_ALLCLOSE(fast.to(kFloat32), ref, 1e-2, 2e-2);
}

TEST(Matmul, Float16) {
  FastPathsOn on;
  Tensor a = uniform({16, 24}).to(kFloat16), b = uniform({24, 8}, -1, 1, 2).to(kFloat16);
  Tensor ref = naive_mm(a.to(kFloat64), b.to(kFloat64));
  Tensor r;
  {
    cpu::ReferenceKernelsScope scope;
    r = matmul(a, b);
  }
  EXPECT_EQ(r.dtype(), kFloat16);
  EXPECT_ALLCLOSE(r.to(kFloat64), ref, 2e-3, 5e-3);
  EXPECT_ALLCLOSE(matmul(a, b).to(kFloat64), ref, 2e-3, 5e-3);  // oneDNN where the CPU supports it
}

TEST(Matmul, Errors) {
  EXPECT_EMBER_ERROR(matmul(zeros({32, 784}), zeros({512, 10})),
                     "matmul: [32,784] x [512,10]: inner dimensions 784 and 512 differ");
  EXPECT_EMBER_ERROR(matmul(zeros({3}), zeros({4})), "matmul", "[3]", "[4]", "inner dimensions 3 and 4");
  EXPECT_EMBER_ERROR(matmul(zeros({2, 3}), zeros({3, 4}, kFloat64)), "matmul", "float32", "float64", "differ");
  EXPECT_EMBER_ERROR(matmul(zeros({2, 3}, kInt64), zeros({3, 4})), "matmul", "int64", "float32", "integer");
  EXPECT_EMBER_ERROR(matmul(zeros({2, 3}, kInt32), zeros({3, 4}, kInt32)), "matmul", "int32");
  EXPECT_EMBER_ERROR(matmul(scalar_tensor(1.0), zeros({3})), "matmul", "[]", "at least one dimension");
  EXPECT_EMBER_ERROR(matmul(zeros({2, 3, 4}), zeros({5, 4, 2})), "matmul", "[2,3,4]", "[5,4,2]", "batch dimensions");
  EXPECT_EMBER_ERROR(matmul(Tensor(), zeros({3})), "matmul", "undefined");
}

TEST(Linear, Values) {
  Tensor x = uniform({5, 4}), w = uniform({3, 4}, -1, 1, 2), bias = uniform({3}, -1, 1, 3);
  Tensor xw = naive_mm(x, w.t().contiguous());
  EXPECT_ALLCLOSE(linear(x, w), xw, 1e-12, 1e-12);
  EXPECT_ALLCLOSE(linear(x, w, bias), add(xw, bias), 1e-12, 1e-12);
  // x of shape (*, in): 1-D and 3-D.
  EXPECT_ALLCLOSE(linear(x.select(0, 1), w, bias), add(xw, bias).select(0, 1), 1e-12, 1e-12);
  Tensor x3 = uniform({2, 3, 4}, -1, 1, 4);
  Tensor e3 = add(naive_mm(x3.reshape({6, 4}), w.t().contiguous()), bias).reshape({2, 3, 3});
  EXPECT_ALLCLOSE(linear(x3, w, bias), e3, 1e-12, 1e-12);
  EXPECT_ALLCLOSE(linear(noncontiguous(x3), noncontiguous(w), noncontiguous(bias)), e3, 1e-12, 1e-12);
  EXPECT_EQ(linear(zeros({0, 4}), ones({3, 4}), ones({3})).shape(), (Shape{0, 3}));
  EXPECT_ALLCLOSE(linear(zeros({2, 0}), zeros({3, 0}), T({1, 2, 3}, {3}, kFloat32)),
                  T({1, 2, 3, 1, 2, 3}, {2, 3}, kFloat32));  // empty product + bias
}

TEST(Linear, GradWithBias) {
  EXPECT_GRADCHECK([](auto& x) { return linear(x[0], x[1], x[2]); },
                   {uniform({2, 3, 4}), uniform({5, 4}, -1, 1, 2), uniform({5}, -1, 1, 3)});
  EXPECT_GRADCHECK([](auto& x) { return linear(x[0], x[1], x[2]); },
                   {uniform({4}), uniform({2, 4}, -1, 1, 2), uniform({2}, -1, 1, 3)});
}

TEST(Linear, GradNoBias) {
  EXPECT_GRADCHECK([](auto& x) { return linear(x[0], x[1]); }, {uniform({6, 4}), uniform({3, 4}, -1, 1, 2)});
  Tensor w = uniform({3, 4}).set_requires_grad(), x = uniform({6, 4}, -1, 1, 2);  // x needs no grad
  sum(linear(x, w)).backward();
  EXPECT_ALLCLOSE(w.grad(), sum(x, {0}).reshape({1, 4}).expand({3, 4}), 1e-12, 1e-12);
}

TEST(Linear, FastPathVsReference) {
  FastPathsOn on;
  // Fused bias on the oneDNN path, forward and backward, against the reference loops.
  Tensor x = uniform({4, 33, 200}).to(kFloat32), w = uniform({70, 200}, -1, 1, 2).to(kFloat32),
         bias = uniform({70}, -1, 1, 3).to(kFloat32);
  auto run = [&](bool fast_on) {
    cpu::set_fast_paths_enabled(fast_on);
    Tensor p = x.detach().set_requires_grad(), q = w.detach().set_requires_grad(), r = bias.detach().set_requires_grad();
    Tensor y = linear(p, q, r);
    sum(square(y)).backward();
    cpu::set_fast_paths_enabled(true);
    return std::vector<Tensor>{y, p.grad(), q.grad(), r.grad()};
  };
  uint64_t calls = cpu::onednn::matmul_fast_calls();
  std::vector<Tensor> fast = run(true);
  EXPECT_GE(cpu::onednn::matmul_fast_calls(), calls + 3);  // forward + two backward GEMMs
  std::vector<Tensor> ref = run(false);
  for (size_t i = 0; i < fast.size(); ++i) EXPECT_ALLCLOSE(fast[i], ref[i], 1e-4, 1e-3) << "output " << i;
  // bf16 linear with bias against the float32 reference.
  Tensor yb = linear(x.to(kBFloat16), w.to(kBFloat16), bias.to(kBFloat16));
  Tensor yr;
  {
    cpu::ReferenceKernelsScope scope;
    yr = linear(x.to(kBFloat16).to(kFloat32), w.to(kBFloat16).to(kFloat32), bias.to(kBFloat16).to(kFloat32));
  }
  EXPECT_ALLCLOSE(yb.to(kFloat32), yr, 1e-2, 5e-2);
}

TEST(Linear, Errors) {
  EXPECT_EMBER_ERROR(linear(zeros({2, 5}), zeros({3, 4})), "linear", "[2,5]", "[3,4]", "5", "4");
  EXPECT_EMBER_ERROR(linear(zeros({2, 4}), zeros({4})), "linear", "weight", "2-D", "[4]");
  EXPECT_EMBER_ERROR(linear(zeros({2, 4}), zeros({3, 4}), zeros({4})), "linear", "bias", "[4]", "[3,4]");
  EXPECT_EMBER_ERROR(linear(zeros({2, 4}), zeros({3, 4}, kFloat64)), "linear", "float32", "float64");
  EXPECT_EMBER_ERROR(linear(zeros({2, 4}), zeros({3, 4}), zeros({3}, kFloat64)), "linear", "float32", "float64");
  EXPECT_EMBER_ERROR(linear(zeros({2, 4}, kInt64), zeros({3, 4}, kInt64)), "linear", "int64", "integer");
  EXPECT_EMBER_ERROR(linear(scalar_tensor(1.0), zeros({3, 1})), "linear", "at least one dimension");
}
