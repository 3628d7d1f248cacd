// Norm tests: batch_norm (training normalisation, running-stat updates, eval, gradients with
// and without affine, non-contiguous, threaded, 16-bit, errors), layer_norm (values vs
// primitives, gradients, multi-dim shapes, threaded, errors) and dropout (reproducibility,
// mean preservation, p edge cases, gradient with a fixed seed, errors).
#include <cmath>
#include <string>

#include "backends/cpu/fast_path.h"
#include "core/backend.h"
#include "core/kernels/fused.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {
/// Batch norm from primitives over dims {0,2,...} of x (N,C,*), batch statistics.
Tensor composed_bn(const Tensor& x, const Tensor& w, const Tensor& b, double eps) {
  Dims d{0};
  for (int64_t i = 2; i < x.dim(); ++i) d.push_back(i);
  Shape cs(x.dim(), 1);
  cs[1] = x.size(1);
  Tensor y = div(sub(x, mean(x, d, true)), sqrt(add(var(x, d, 0, true), eps)));
  if (w.defined()) y = mul(y, w.reshape(cs));
  if (b.defined()) y = add(y, b.reshape(cs));
  return y;
}
Tensor composed_ln(const Tensor& x, int64_t k, const Tensor& w, const Tensor& b, double eps) {
  Dims d;
  for (int64_t i = x.dim() - k; i < x.dim(); ++i) d.push_back(i);
  Tensor y = div(sub(x, mean(x, d, true)), sqrt(add(var(x, d, 0, true), eps)));
  if (w.defined()) y = mul(y, w);
  if (b.defined()) y = add(y, b);
  return y;
}
}  // namespace

TEST(BatchNorm, TrainingNormalisesPerChannel) {
  Tensor x = add(mul(uniform({4, 3, 5}, -1, 1), 3.0), 2.0);
  Tensor y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-12);
  EXPECT_ALLCLOSE(mean(y, {0, 2}), zeros({3}, kFloat64), 0, 1e-12);
  EXPECT_ALLCLOSE(var(y, {0, 2}, 0), ones({3}, kFloat64), 1e-9, 1e-9);
  Tensor w = uniform({3}, 0.5, 1.5, 2), b = uniform({3}, -1, 1, 3);
  EXPECT_ALLCLOSE(batch_norm(x, Tensor(), Tensor(), w, b, true), composed_bn(x, w, b, 1e-5), 1e-12, 1e-12);
  // (N,C) and (N,C,H,W) layouts.
  Tensor x2 = uniform({6, 4}, -2, 2, 4), x4 = uniform({2, 3, 2, 3}, -2, 2, 5);
  EXPECT_ALLCLOSE(batch_norm(x2, Tensor(), Tensor(), Tensor(), Tensor(), true), composed_bn(x2, {}, {}, 1e-5), 1e-12, 1e-12);
  EXPECT_ALLCLOSE(batch_norm(x4, Tensor(), Tensor(), w, b, true), composed_bn(x4, w, b, 1e-5), 1e-12, 1e-12);
}

TEST(BatchNorm, RunningStatsUpdate) {
  Tensor x = add(mul(uniform({4, 3, 5}, -1, 1, 6), 2.0), 1.0);
  Tensor rm = uniform({3}, -1, 1, 7), rv = uniform({3}, 0.5, 2, 8);
  Tensor rm0 = rm.clone(), rv0 = rv.clone();
  batch_norm(x, rm, rv, Tensor(), Tensor(), true);
  Tensor bm = mean(x, {0, 2}), bv = var(x, {0, 2}, 1);  // unbiased for the running variance
  EXPECT_ALLCLOSE(rm, add(mul(rm0, 0.9), mul(bm, 0.1)), 1e-12, 1e-14);
  EXPECT_ALLCLOSE(rv, add(mul(rv0, 0.9), mul(bv, 0.1)), 1e-12, 1e-14);
  // Custom momentum, float32 running stats with float64 input, and no graph on them.
  Tensor rmf = zeros({3}), rvf = ones({3});
  Tensor xg = x.clone().set_requires_grad();
  batch_norm(xg, rmf, rvf, Tensor(), Tensor(), true, 0.5);
  EXPECT_ALLCLOSE(rmf.to(kFloat64), mul(bm, 0.5), 1e-6, 1e-7);
  EXPECT_ALLCLOSE(rvf.to(kFloat64), add(mul(bv, 0.5), 0.5), 1e-6, 1e-7);
  EXPECT_FALSE(rmf.requires_grad());
  // Eval does not touch them.
  Tensor before = rm.clone();
  batch_norm(x, rm, rv, Tensor(), Tensor(), false);
  EXPECT_ALLCLOSE(rm, before, 0, 0);
}

TEST(BatchNorm, EvalUsesRunningStats) {
  Tensor x = uniform({4, 3, 2}, -2, 2, 9);
  Tensor rm = T({0.5, -1, 2}, {3}), rv = T({4, 0.25, 1}, {3});
  Tensor w = T({2, 1, -1}, {3}), b = T({0, 1, 3}, {3});
  Tensor expect = add(mul(div(sub(x, rm.reshape({1, 3, 1})), sqrt(add(rv, 1e-5)).reshape({1, 3, 1})), w.reshape({1, 3, 1})),
                      b.reshape({1, 3, 1}));
  EXPECT_ALLCLOSE(batch_norm(x, rm, rv, w, b, false), expect, 1e-12, 1e-13);
  // Eval with no running stats falls back to batch statistics, as PyTorch.
  EXPECT_ALLCLOSE(batch_norm(x, Tensor(), Tensor(), w, b, false), composed_bn(x, w, b, 1e-5), 1e-12, 1e-12);
  // A single value per channel is fine in eval.
  EXPECT_ALLCLOSE(batch_norm(T({1, 2, 3}, {1, 3}), rm, rv, Tensor(), Tensor(), false),
                  div(sub(T({1, 2, 3}, {1, 3}), rm), sqrt(add(rv, 1e-5))), 1e-12, 1e-13);
}

TEST(BatchNorm, GradcheckTrainingAffine) {
  EXPECT_GRADCHECK([](auto& v) { return batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true); },
                   {uniform({3, 2, 4}, -2, 2, 10), uniform({2}, 0.5, 1.5, 11), uniform({2}, -1, 1, 12)});
  EXPECT_GRADCHECK([](auto& v) { return batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true); },
                   {uniform({5, 3}, -2, 2, 13), uniform({3}, 0.5, 1.5, 14), uniform({3}, -1, 1, 15)});
}

TEST(BatchNorm, GradcheckTrainingNoAffine) {
  EXPECT_GRADCHECK([](auto& v) {
    Tensor rm = zeros({2}, kFloat64), rv = ones({2}, kFloat64);
    return batch_norm(v[0], rm, rv, Tensor(), Tensor(), true);
  }, {uniform({2, 2, 3, 2}, -2, 2, 16)});
}

TEST(BatchNorm, GradcheckEval) {
  Tensor rm = T({0.5, -1}, {2}), rv = T({2, 0.5}, {2});
  EXPECT_GRADCHECK([rm, rv](auto& v) { return batch_norm(v[0], rm, rv, v[1], v[2], false); },
                   {uniform({3, 2, 2}, -2, 2, 17), uniform({2}, 0.5, 1.5, 18), uniform({2}, -1, 1, 19)});
  EXPECT_GRADCHECK([rm, rv](auto& v) { return batch_norm(v[0], rm, rv, Tensor(), Tensor(), false); },
                   {uniform({3, 2}, -2, 2, 20)});
}

TEST(BatchNorm, NonContiguousInput) {
  Tensor x = uniform({4, 3, 5}, -2, 2, 21);
  Tensor nc = noncontiguous(x);
  ASSERT_FALSE(nc.is_contiguous());
  Tensor w = uniform({3}, 0.5, 1.5, 22), b = uniform({3}, -1, 1, 23);
  EXPECT_ALLCLOSE(batch_norm(nc, Tensor(), Tensor(), w, b, true), batch_norm(x, Tensor(), Tensor(), w, b, true), 1e-13,
                  1e-14);
  EXPECT_GRADCHECK([](auto& v) { return batch_norm(v[0].transpose(0, 2), Tensor(), Tensor(), v[1], Tensor(), true); },
                   {uniform({4, 2, 3}, -2, 2, 24), uniform({2}, 0.5, 1.5, 25)});
}

TEST(BatchNorm, ThreadedLargeMatchesComposition) {
  // (32,16,128) = 65536 elements: several channels per thread chunk.
  Tensor x = uniform({32, 16, 128}, -3, 3, 26).to(kFloat32);
  Tensor w0 = uniform({16}, 0.5, 1.5, 27).to(kFloat32), b0 = uniform({16}, -1, 1, 28).to(kFloat32);
  Tensor g = uniform({32, 16, 128}, -1, 1, 29).to(kFloat32);
  Tensor xa = x.clone().set_requires_grad(), wa = w0.clone().set_requires_grad(), ba = b0.clone().set_requires_grad();
  Tensor xb = x.clone().set_requires_grad(), wb = w0.clone().set_requires_grad(), bb = b0.clone().set_requires_grad();
  Tensor ya = batch_norm(xa, Tensor(), Tensor(), wa, ba, true), yb = composed_bn(xb, wb, bb, 1e-5);
  EXPECT_ALLCLOSE(ya, yb, 1e-4, 1e-5);
  sum(mul(ya, g)).backward();
  sum(mul(yb, g)).backward();
  EXPECT_ALLCLOSE(xa.grad(), xb.grad(), 1e-3, 1e-5);
  EXPECT_ALLCLOSE(wa.grad(), wb.grad(), 1e-3, 1e-3);
  EXPECT_ALLCLOSE(ba.grad(), bb.grad(), 1e-4, 1e-3);
}

TEST(BatchNorm, FastPathsMatchReference) {
  // float32 NCHW with planes of >= 16 elements takes the fused fast kernels; compare them
  // (outputs, running statistics, all gradients) with the reference loops, training and eval,
  // with and without affine parameters, including a strided (channels-last) input.
  auto run = [](const Tensor& x0, bool affine, bool training, bool channels_last) {
    Tensor x = x0.detach().clone().set_requires_grad();
    Tensor w = uniform({x0.size(1)}, 0.5, 1.5, 41).to(kFloat32).set_requires_grad();
    Tensor b = uniform({x0.size(1)}, -1, 1, 42).to(kFloat32).set_requires_grad();
    Tensor rm = uniform({x0.size(1)}, -0.5, 0.5, 43).to(kFloat32), rv = uniform({x0.size(1)}, 0.5, 2, 44).to(kFloat32);
    Tensor xin = channels_last ? x.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2}) : x;
    Tensor y = batch_norm(xin, rm, rv, affine ? w : Tensor(), affine ? b : Tensor(), training, 0.1, 1e-5);
    y.backward(uniform(y.shape(), -1, 1, 45).to(kFloat32));
    std::vector<Tensor> r{y.detach(), rm, rv, x.grad()};
    if (affine) r.push_back(w.grad()), r.push_back(b.grad());
    return r;
  };
  Tensor x = add(mul(uniform({8, 5, 6, 7}, -2, 2, 40), 3.0), 1.0).to(kFloat32);
  for (bool affine : {true, false})
    for (bool training : {true, false})
      for (bool cl : {false, true}) {
        SCOPED_TRACE(std::string(affine ? "affine " : "") + (training ? "training" : "eval") + (cl ? " strided" : ""));
        std::vector<Tensor> fast = run(x, affine, training, cl), ref;
        {
          cpu::ReferenceKernelsScope scope;
          ref = run(x, affine, training, cl);
        }
        ASSERT_EQ(fast.size(), ref.size());
        for (size_t i = 0; i < fast.size(); ++i) {
          SCOPED_TRACE(i);
          EXPECT_ALLCLOSE(fast[i].to(kFloat64), ref[i].to(kFloat64), 1e-4, 1e-5);
        }
      }
}

TEST(BatchNorm, HalfAndBFloat16) {
  Tensor x = uniform({4, 3, 6}, -2, 2, 30);
  Tensor ref = composed_bn(x, {}, {}, 1e-5);
  for (DType dt : {kFloat16, kBFloat16}) {
    Tensor rm = zeros({3}, dt), rv = ones({3}, dt);
    Tensor y = batch_norm(x.to(dt), rm, rv, ones({3}, dt), zeros({3}, dt), true);
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_ALLCLOSE(y.to(kFloat64), ref, 3e-2, 3e-2);
    EXPECT_ALLCLOSE(rm.to(kFloat64), mul(mean(x, {0, 2}), 0.1), 2e-2, 2e-3);
  }
}

TEST(BatchNorm, Errors) {
  EXPECT_EMBER_ERROR(batch_norm(zeros({4}), Tensor(), Tensor(), Tensor(), Tensor(), true), "batch_norm", "(N,C,*)", "[4]");
  EXPECT_EMBER_ERROR(batch_norm(zeros({2, 3}), Tensor(), Tensor(), zeros({4}), Tensor(), true), "batch_norm", "weight",
                     "[4]", "[2,3]");
  EXPECT_EMBER_ERROR(batch_norm(zeros({2, 3}), zeros({2}), ones({2}), Tensor(), Tensor(), true), "batch_norm",
                     "running_mean", "[2]");
  EXPECT_EMBER_ERROR(batch_norm(zeros({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true), "batch_norm",
                     "more than 1 value per channel", "[1,3]");
  EXPECT_EMBER_ERROR(batch_norm(zeros({2, 3}), zeros({3}), Tensor(), Tensor(), Tensor(), true), "batch_norm",
                     "running_var");
  EXPECT_EMBER_ERROR(batch_norm(arange(6).reshape({2, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true), "batch_norm",
                     "floating");
}

TEST(LayerNorm, ValuesMatchComposition) {
  Tensor x = add(mul(uniform({3, 4, 5}, -1, 1, 31), 4.0), 1.0);
  Tensor w = uniform({5}, 0.5, 1.5, 32), b = uniform({5}, -1, 1, 33);
  EXPECT_ALLCLOSE(layer_norm(x, {5}, w, b), composed_ln(x, 1, w, b, 1e-5), 1e-12, 1e-12);
  EXPECT_ALLCLOSE(layer_norm(x, {5}), composed_ln(x, 1, {}, {}, 1e-5), 1e-12, 1e-12);
  Tensor w2 = uniform({4, 5}, 0.5, 1.5, 34);
  EXPECT_ALLCLOSE(layer_norm(x, {4, 5}, w2, Tensor()), composed_ln(x, 2, w2, {}, 1e-5), 1e-12, 1e-12);
  Tensor y = layer_norm(x, {5}, Tensor(), Tensor(), 1e-12);
  EXPECT_ALLCLOSE(mean(y, {2}), zeros({3, 4}, kFloat64), 0, 1e-12);
  EXPECT_ALLCLOSE(var(y, {2}, 0), ones({3, 4}, kFloat64), 1e-9, 1e-9);
}

TEST(LayerNorm, GradcheckAffine) {
  EXPECT_GRADCHECK([](auto& v) { return layer_norm(v[0], {4}, v[1], v[2]); },
                   {uniform({3, 4}, -2, 2, 35), uniform({4}, 0.5, 1.5, 36), uniform({4}, -1, 1, 37)});
  EXPECT_GRADCHECK([](auto& v) { return layer_norm(v[0], {2, 3}, v[1], v[2]); },
                   {uniform({2, 2, 3}, -2, 2, 38), uniform({2, 3}, 0.5, 1.5, 39), uniform({2, 3}, -1, 1, 40)});
}

TEST(LayerNorm, GradcheckNoAffine) {
  EXPECT_GRADCHECK([](auto& v) { return layer_norm(v[0], {5}); }, {uniform({2, 3, 5}, -2, 2, 41)});
  EXPECT_GRADCHECK([](auto& v) { return layer_norm(v[0], {3}, v[1], Tensor()); },
                   {uniform({4, 3}, -2, 2, 42), uniform({3}, 0.5, 1.5, 43)});
}

TEST(LayerNorm, NonContiguousAndSizeOne) {
  Tensor x = uniform({6, 4}, -2, 2, 44);
  Tensor nc = noncontiguous(x);
  ASSERT_FALSE(nc.is_contiguous());
  EXPECT_ALLCLOSE(layer_norm(nc, {4}), layer_norm(x, {4}), 1e-13, 1e-14);
  EXPECT_GRADCHECK([](auto& v) { return layer_norm(v[0].t(), {3}, v[1], v[2]); },
                   {uniform({3, 4}, -2, 2, 45), uniform({3}, 0.5, 1.5, 46), uniform({3}, -1, 1, 47)});
  // One element per row normalises to the bias; zero rows give an empty output.
  Tensor b = T({0.25}, {1});
  EXPECT_ALLCLOSE(layer_norm(uniform({3, 1}), {1}, Tensor(), b), full({3, 1}, 0.25, kFloat64));
  EXPECT_GRADCHECK([](auto& v) { return layer_norm(v[0], {2}, v[1], v[2]); },
                   {uniform({1, 2}, -2, 2, 48), uniform({2}, 0.5, 1.5, 49), uniform({2}, -1, 1, 50)});
  Tensor e = zeros({0, 4}, kFloat64).set_requires_grad();
  Tensor w = ones({4}, kFloat64).set_requires_grad();
  sum(layer_norm(e, {4}, w)).backward();
  EXPECT_EQ(e.grad().shape(), (Shape{0, 4}));
  EXPECT_ALLCLOSE(w.grad(), zeros({4}, kFloat64));
}

TEST(LayerNorm, ThreadedLargeMatchesComposition) {
  Tensor x = uniform({256, 512}, -3, 3, 51).to(kFloat32);
  Tensor w0 = uniform({512}, 0.5, 1.5, 52).to(kFloat32), b0 = uniform({512}, -1, 1, 53).to(kFloat32);
  Tensor g = uniform({256, 512}, -1, 1, 54).to(kFloat32);
  Tensor xa = x.clone().set_requires_grad(), wa = w0.clone().set_requires_grad(), ba = b0.clone().set_requires_grad();
  Tensor xb = x.clone().set_requires_grad(), wb = w0.clone().set_requires_grad(), bb = b0.clone().set_requires_grad();
  Tensor ya = layer_norm(xa, {512}, wa, ba), yb = composed_ln(xb, 1, wb, bb, 1e-5);
  EXPECT_ALLCLOSE(ya, yb, 1e-4, 1e-5);
  sum(mul(ya, g)).backward();
  sum(mul(yb, g)).backward();
  EXPECT_ALLCLOSE(xa.grad(), xb.grad(), 1e-3, 1e-4);
  EXPECT_ALLCLOSE(wa.grad(), wb.grad(), 1e-3, 1e-3);
  EXPECT_ALLCLOSE(ba.grad(), bb.grad(), 1e-4, 1e-3);
}

TEST(LayerNorm, HalfAndBFloat16) {
  Tensor x = uniform({5, 16}, -2, 2, 55);
  for (DType dt : {kFloat16, kBFloat16}) {
    Tensor y = layer_norm(x.to(dt), {16}, ones({16}, dt), zeros({16}, dt));
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_ALLCLOSE(y.to(kFloat64), composed_ln(x, 1, {}, {}, 1e-5), 3e-2, 3e-2);
  }
}

TEST(LayerNorm, Errors) {
  EXPECT_EMBER_ERROR(layer_norm(zeros({2, 3}), {4}), "layer_norm", "[4]", "[2,3]");
  EXPECT_EMBER_ERROR(layer_norm(zeros({3}), {2, 3}), "layer_norm", "[2,3]", "[3]");
  EXPECT_EMBER_ERROR(layer_norm(zeros({2, 3}), {3}, zeros({2})), "layer_norm", "weight", "[2]", "[3]");
  EXPECT_EMBER_ERROR(layer_norm(zeros({2, 3}), {3}, Tensor(), zeros({3, 1})), "layer_norm", "bias", "[3,1]");
  EXPECT_EMBER_ERROR(layer_norm(zeros({2, 3}), {}), "layer_norm", "normalized_shape");
  EXPECT_EMBER_ERROR(layer_norm(arange(3), {3}), "layer_norm", "floating");
}

TEST(Dropout, ReproducibleWithManualSeed) {
  Tensor x = ones({1000});
  manual_seed(42);
  Tensor a = dropout(x, 0.3, true);
  manual_seed(42);
  Tensor b = dropout(x, 0.3, true);
  EXPECT_ALLCLOSE(a, b, 0, 0);
  Tensor c = dropout(x, 0.3, true);  // the generator moved on
  EXPECT_FALSE(allclose(a, c, 0, 0));
  // Kept values are exactly 1/(1-p).
  for (float v : a.to_vector<float>()) EXPECT_TRUE(v == 0.0f || std::abs(v - 1 / 0.7f) < 1e-6f) << v;
}

TEST(Dropout, PreservesMeanStatistically) {
  manual_seed(7);
  const int64_t n = 200000;
  for (double p : {0.1, 0.5, 0.8}) {
    Tensor y = dropout(ones({n}, kFloat64), p, true);
    double zero_frac = mean(eq(y, 0.0).to(kFloat64)).item();
    // Binomial std of the zero fraction is sqrt(p(1-p)/n) < 0.0012: 6 sigma bounds.
    EXPECT_NEAR(zero_frac, p, 0.007);
    EXPECT_NEAR(mean(y).item(), 1.0, 6 * std::sqrt(p / (1 - p) / n) + 1e-9);
  }
}

TEST(Dropout, EvalAndEdgeProbabilities) {
  Tensor x = uniform({4, 5});
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_ALLCLOSE(dropout(x, 0.0, true), x, 0, 0);
  EXPECT_ALLCLOSE(dropout(x, 1.0, true), zeros({4, 5}, kFloat64), 0, 0);
  Tensor xg = x.clone().set_requires_grad();
  sum(dropout(xg, 1.0, true)).backward();
  EXPECT_ALLCLOSE(xg.grad(), zeros({4, 5}, kFloat64), 0, 0);
  EXPECT_EQ(dropout(zeros({0, 3}), 0.5, true).shape(), (Shape{0, 3}));
  EXPECT_ALLCLOSE(dropout(noncontiguous(x), 0.0, true), x, 0, 0);
  EXPECT_EQ(dropout(x.to(kBFloat16), 0.5, true).dtype(), kBFloat16);
}

TEST(Dropout, GradcheckWithFixedSeed) {
  EXPECT_GRADCHECK([](auto& v) {
    manual_seed(1234);  // the same mask on every evaluation
    return dropout(v[0], 0.4, true);
  }, {uniform({6, 7}, -1, 1, 56)});
  // The backward multiplies by the very mask of the forward.
  manual_seed(5);
  Tensor x = uniform({50}, 0.5, 1.5).set_requires_grad();
  Tensor y = dropout(x, 0.5, true);
  sum(y).backward();
  EXPECT_ALLCLOSE(x.grad(), div(y.detach(), x.detach()), 1e-12, 0);
}

TEST(Dropout, CpuKernelDrawsTheDocumentedStream) {
  // The CPU's one-pass kernel against the mask built here from kernels::dropout_uniform (the
  // stream every backend draws) and multiplied in the input's dtype, as the host-mask path
  // does: equal bit for bit, for each floating dtype, an odd element count (the last
  // element takes a low half alone), a non-contiguous input (row-major order) and the backward.
  ASSERT_TRUE(get_backend(Device()).kernels().get(kernels::kDropout));
  const double p = 0.3, scale = 1 / (1 - p);
  const uint64_t threshold = static_cast<uint64_t>(std::ceil(p * 4294967296.0));
  for (DType dt : {kFloat32, kFloat64, kBFloat16, kFloat16})
    for (bool transposed : {false, true}) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + (transposed ? " transposed" : ""));
      Tensor base = uniform({11, 91}, -2, 2, 77).to(dt);
      Tensor x = (transposed ? base.t().contiguous().t() : base).detach().set_requires_grad();
      ASSERT_EQ(x.is_contiguous(), !transposed);
      manual_seed(99);
      const uint64_t seed = default_generator().next_u64();
      std::vector<double> m(static_cast<size_t>(x.numel()));
      for (size_t i = 0; i < m.size(); ++i) m[i] = kernels::dropout_uniform(seed, i) >= threshold ? scale : 0.0;
      Tensor mask = from_vector(m, x.shape(), kFloat64).to(dt == kFloat64 ? kFloat64 : kFloat32).to(dt);
      manual_seed(99);
      Tensor y = dropout(x, p, true);
      EXPECT_ALLCLOSE(y, mul(base, mask), 0, 0);
      Tensor g = uniform({11, 91}, -1, 1, 78).to(dt);
      backward({y}, {g});
      EXPECT_ALLCLOSE(x.grad(), mul(g, mask), 0, 0);
    }
}

TEST(Dropout, Errors) {
  EXPECT_EMBER_ERROR(dropout(ones({3}), 1.5, true), "dropout", "[0,1]", "1.5");
  EXPECT_EMBER_ERROR(dropout(ones({3}), -0.1, false), "dropout", "-0.1");
  EXPECT_EMBER_ERROR(dropout(arange(3), 0.5, true), "dropout", "floating");
}
