// Tests for the per-op overhead fast paths: the single-row GEMM (GEMV) kernel against the
// reference loops in both loop orders and with the full kernel contract (bias, alpha, beta);
// the same-shape binary-op path against the broadcasting path; record() skipping work in
// inference but not in training or anomaly mode; tensors freed on another thread.
#include <thread>

#include "backends/cpu/fast_path.h"
#include "backends/cpu/gemv.h"
#include "core/backend.h"
#include "core/kernels/matmul.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

struct FastPathsOn {
  FastPathsOn() : prev(cpu::fast_paths_enabled()) { cpu::set_fast_paths_enabled(true); }
  ~FastPathsOn() { cpu::set_fast_paths_enabled(prev); }
  bool prev;
};

Tensor f32(const Shape& s, uint64_t seed) { return uniform(s, -1, 1, seed).to(kFloat32); }

/// The matmul kernel called directly (to reach alpha and beta), with fast paths on or off.
Tensor run_kernel(const Tensor& a, const Tensor& b, const Tensor& c0, const Tensor* bias, double alpha, double beta,
                  bool fast) {
  cpu::set_fast_paths_enabled(fast);
  Tensor c = c0.clone();
  TensorArg ba = bias ? arg_of(*bias) : TensorArg{};
  auto* k = get_backend(Device("cpu")).kernels().get(kernels::kMatmul);
  k(arg_of(a), arg_of(b), arg_of(c), bias ? &ba : nullptr, alpha, beta);
  cpu::set_fast_paths_enabled(true);
  return c;
}

}  // namespace

TEST(Gemv, LinearBatchOneMatchesReference) {
  FastPathsOn on;
  // 784 -> 512 and 512 -> 10 as in the zoo MLP: the first splits over threads, the second not.
  for (auto [in, out] : {std::pair<int64_t, int64_t>{784, 512}, {512, 10}, {5, 3}, {1, 9}}) {
    Tensor x = f32({1, in}, 1), w = f32({out, in}, 2), bias = f32({out}, 3);
    Tensor ref;
    {
      cpu::ReferenceKernelsScope scope;
      ref = linear(x, w, bias);
    }
    uint64_t calls = cpu::gemv_fast_calls();
    Tensor fast = linear(x, w, bias);
    EXPECT_EQ(cpu::gemv_fast_calls(), calls + 1) << in << "x" << out << " did not take the GEMV path";
    EXPECT_ALLCLOSE(fast, ref, 1e-5, 1e-5);
    EXPECT_ALLCLOSE(linear(x, w), linear(x, w, zeros({out})), 0, 0);  // no bias
    // A 1-D input is one row too.
    EXPECT_ALLCLOSE(linear(x.reshape({in}), w, bias), fast.reshape({out}), 0, 0);
  }
}

TEST(Gemv, RowMajorAndStridedOperands) {
  FastPathsOn on;
  Tensor a = f32({1, 300}, 4), b = f32({300, 200}, 5);
  Tensor ref;
  {
    cpu::ReferenceKernelsScope scope;
    ref = matmul(a, b);
  }
  uint64_t calls = cpu::gemv_fast_calls();
  EXPECT_ALLCLOSE(matmul(a, b), ref, 1e-5, 1e-5);  // axpy order (b's rows contiguous)
  EXPECT_ALLCLOSE(matmul(a, b.t().contiguous().t()), ref, 1e-5, 1e-5);  // dot order
  EXPECT_ALLCLOSE(matmul(a.reshape({300}), b), ref.reshape({200}), 1e-5, 1e-5);
  EXPECT_EQ(cpu::gemv_fast_calls(), calls + 3);
  // a's row strided: the path declines (oneDNN or the reference loops take it).
  Tensor a_strided = f32({1, 600}, 6).slice(1, 0, 600, 2);
  calls = cpu::gemv_fast_calls();
  Tensor r1 = matmul(a_strided, b);
  EXPECT_EQ(cpu::gemv_fast_calls(), calls);
  // b with neither layout is made contiguous by the op first; the result is right either way.
  Tensor b_odd = f32({600, 400}, 7).slice(0, 0, 600, 2).slice(1, 0, 400, 2);
  Tensor r2 = matmul(a, b_odd);
  {
    cpu::ReferenceKernelsScope scope;
    EXPECT_ALLCLOSE(r1, matmul(a_strided, b), 1e-5, 1e-5);
    EXPECT_ALLCLOSE(r2, matmul(a, b_odd), 1e-5, 1e-5);
  }
}

TEST(Gemv, KernelContractAlphaBetaBias) {
  FastPathsOn on;
  Tensor a = f32({1, 1, 70}, 8), b = f32({1, 70, 33}, 9), c0 = f32({1, 1, 33}, 10), bias = f32({33}, 11);
  Tensor bt = b.transpose(1, 2).contiguous().transpose(1, 2);  // columns contiguous
  for (const Tensor& bb : {b, bt}) {
    uint64_t calls = cpu::gemv_fast_calls();
    Tensor fast = run_kernel(a, bb, c0, &bias, 0.5, 2.0, true);
    EXPECT_EQ(cpu::gemv_fast_calls(), calls + 1);
    Tensor ref = run_kernel(a, bb, c0, &bias, 0.5, 2.0, false);
    EXPECT_ALLCLOSE(fast, ref, 1e-5, 1e-5);
    // beta == 0 must not read c (here full of NaN).
    Tensor nan_c = full({1, 1, 33}, NAN, TensorOptions(kFloat32));
    EXPECT_ALLCLOSE(run_kernel(a, bb, nan_c, nullptr, 1.0, 0.0, true), run_kernel(a, bb, c0, nullptr, 1.0, 0.0, false),
                    1e-5, 1e-5);
  }
  // K == 0: c = beta * c + bias.
  Tensor e = zeros({1, 0}, kFloat32), f = zeros({0, 4}, kFloat32), c4 = f32({1, 4}, 12), b4 = f32({4}, 13);
  EXPECT_ALLCLOSE(run_kernel(e, f, c4, &b4, 1.0, 1.0, true), add(c4, b4), 1e-6, 1e-6);
}

TEST(Gemv, OnlySingleFloat32Rows) {
  FastPathsOn on;
  uint64_t calls = cpu::gemv_fast_calls();
  Tensor r2 = matmul(f32({2, 8}, 1), f32({8, 3}, 2));           // two rows
  Tensor rb = matmul(f32({3, 1, 8}, 1), f32({3, 8, 3}, 2));     // a batch of rows
  Tensor r64 = matmul(uniform({1, 8}), uniform({8, 3}));        // float64
  EXPECT_EQ(cpu::gemv_fast_calls(), calls);
  EXPECT_EQ(r2.shape(), (Shape{2, 3}));
  EXPECT_EQ(rb.shape(), (Shape{3, 1, 3}));
  EXPECT_EQ(r64.dtype(), kFloat64);
}

TEST(Gemv, GradientsThroughBatchOneLinear) {
  FastPathsOn on;
  Tensor x = f32({1, 40}, 3).set_requires_grad(), w = f32({20, 40}, 4).set_requires_grad();
  Tensor b = f32({20}, 5).set_requires_grad();
  sum(square(linear(x, w, b))).backward();
  Tensor gx = x.grad(), gw = w.grad(), gb = b.grad();
  cpu::ReferenceKernelsScope scope;
  Tensor x2 = x.detach().set_requires_grad(), w2 = w.detach().set_requires_grad(), b2 = b.detach().set_requires_grad();
  sum(square(linear(x2, w2, b2))).backward();
  EXPECT_ALLCLOSE(gx, x2.grad(), 1e-5, 1e-5);
  EXPECT_ALLCLOSE(gw, w2.grad(), 1e-5, 1e-5);
  EXPECT_ALLCLOSE(gb, b2.grad(), 1e-5, 1e-5);
}

TEST(BinaryFastPath, SameShapeMatchesBroadcastPath) {
  Tensor a = uniform({3, 4}, -1, 1, 1), b = uniform({3, 4}, -1, 1, 2);
  // Same shape and dtype (fast path), against a broadcast of the same values (general path).
  Tensor fast = add(a, b);
  Tensor general = add(a, b.reshape({1, 3, 4})).reshape({3, 4});
  EXPECT_ALLCLOSE(fast, general, 0, 0);
  // Non-contiguous operands of one shape, mixed dtypes, comparisons.
  EXPECT_ALLCLOSE(mul(a.t(), b.t()), mul(a, b).t(), 0, 0);
  EXPECT_EQ(add(a.to(kFloat32), b).dtype(), kFloat64);
  EXPECT_EQ(gt(a, b).dtype(), kBool);
  EXPECT_EQ(add(zeros({0, 3}), zeros({0, 3})).shape(), (Shape{0, 3}));
  EXPECT_EMBER_ERROR(add(zeros({2, 3}), zeros({3, 2})), "add", "[2,3]", "[3,2]");
}

TEST(RecordFastPath, InferenceSkipsTrainingAndAnomalyDoNot) {
  Tensor a = uniform({4}).set_requires_grad(), b = uniform({4});
  {
    NoGradGuard ng;
    EXPECT_FALSE(add(a, b).requires_grad());
    EXPECT_FALSE(relu(a).requires_grad());
  }
  EXPECT_FALSE(add(b, b).requires_grad());  // no input needs grad
  Tensor y = mul(add(a, b), relu(a));
  ASSERT_TRUE(y.requires_grad());
  sum(y).backward();
  EXPECT_TRUE(a.grad().defined());
  // Anomaly mode checks outputs even with grad mode off.
  set_anomaly_mode(true);
  {
    NoGradGuard ng;
    Tensor inf = full({2}, INFINITY);
    EXPECT_EMBER_ERROR(sub(inf, inf), "anomaly", "sub");
  }
  set_anomaly_mode(false);
}

TEST(TensorPool, TensorsCrossThreads) {
  // Tensors made on one thread and dropped on another (and the reverse) keep their data and
  // recycle their blocks safely; repeated creation reuses them.
  std::vector<Tensor> made;
  std::thread t([&] {
    for (int i = 0; i < 200; ++i) made.push_back(full({i % 7 + 1}, i, TensorOptions(kFloat32)));
  });
  t.join();
  for (int i = 0; i < 200; ++i) ASSERT_EQ(made[i].to_vector<float>().back(), static_cast<float>(i));
  std::vector<Tensor> mine;
  for (int i = 0; i < 200; ++i) mine.push_back(full({3}, -i));
  std::thread u([moved = std::move(mine)]() mutable {
    for (size_t i = 0; i < moved.size(); ++i) EXPECT_EQ(moved[i].to_vector<double>()[0], -static_cast<double>(i));
    moved.clear();
  });
  u.join();
  made.clear();
  for (int i = 0; i < 1000; ++i) {
    Tensor x = full({5}, i);
    ASSERT_EQ(x.to_vector<double>()[4], i);
  }
}
