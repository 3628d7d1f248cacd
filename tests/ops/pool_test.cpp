// Pooling tests: max_pool2d, avg_pool2d and adaptive_avg_pool2d values against naive loops
// written here and hand-checked cases, float64 gradchecks (distinct values, no max ties),
// awkward inputs, errors, and the oneDNN fast paths against the reference loops.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "backends/cpu/fast_path.h"
#include "backends/cpu/onednn/pool.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

Pool2dParams P(std::array<int64_t, 2> k, std::array<int64_t, 2> s = {0, 0}, std::array<int64_t, 2> pad = {0, 0}) {
  Pool2dParams p;
  p.kernel = k;
  p.stride = s;
  p.padding = pad;
  return p;
}

/// Naive pooling by the definition (is_max: max ignoring padding, else sum / (kH*kW)).
Tensor naive_pool(const Tensor& x, const Pool2dParams& p, bool is_max) {
  const Shape& s = x.shape();
  const int64_t planes = s[0] * s[1], H = s[2], W = s[3];
  int64_t st[2] = {p.stride[0] ? p.stride[0] : p.kernel[0], p.stride[1] ? p.stride[1] : p.kernel[1]};
  const int64_t OH = (H + 2 * p.padding[0] - p.kernel[0]) / st[0] + 1;
  const int64_t OW = (W + 2 * p.padding[1] - p.kernel[1]) / st[1] + 1;
  std::vector<double> xv = x.to_vector<double>(), out;
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t kh = 0; kh < p.kernel[0]; ++kh)
          for (int64_t kw = 0; kw < p.kernel[1]; ++kw) {
            int64_t h = oh * st[0] - p.padding[0] + kh, w = ow * st[1] - p.padding[1] + kw;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            double v = xv[(pl * H + h) * W + w];
            acc = is_max ? std::max(acc, v) : acc + v;
          }
        out.push_back(is_max ? acc : acc / static_cast<double>(p.kernel[0] * p.kernel[1]));
      }
  return from_vector(out, {s[0], s[1], OH, OW}, TensorOptions(kFloat64));
}

/// Distinct values (a shuffled ramp): no two elements of a window tie, even after +-eps.
Tensor distinct(const Shape& s, uint64_t seed = 1) {
  std::vector<double> v(static_cast<size_t>(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1 * static_cast<double>(i) - 1.0;
  std::shuffle(v.begin(), v.end(), std::mt19937_64(seed));
  return from_vector(v, s, TensorOptions(kFloat64));
}

std::vector<Pool2dParams> windows() {
  return {P({2, 2}), P({3, 3}, {1, 1}), P({3, 2}, {2, 1}, {1, 1}), P({2, 3}, {1, 2}, {1, 0}), P({4, 4}, {3, 3}, {2, 2})};
}

/// Forward + backward with a fixed upstream gradient; returns {out, dx}.
template <class F>
std::vector<Tensor> run_with_grad(const Tensor& x0, F&& f) {
  Tensor x = x0.detach().clone().set_requires_grad();
  Tensor out = f(x);
  out.backward(uniform(out.shape(), -1, 1, 77).to(out.dtype()));
  return {out.detach(), x.grad()};
}

}  // namespace

// ---- max_pool2d ---------------------------------------------------------------------------

TEST(MaxPool2d, HandChecked) {
  Tensor x = arange(16, TensorOptions(kFloat64)).reshape({1, 1, 4, 4});
  EXPECT_ALLCLOSE(max_pool2d(x, P({2, 2})), T({5, 7, 13, 15}, {1, 1, 2, 2}));
  // Padding never wins even when every value is negative.
  Tensor neg = T({-4, -3, -2, -1}, {1, 1, 2, 2});
  EXPECT_ALLCLOSE(max_pool2d(neg, P({2, 2}, {1, 1}, {1, 1})), T({-4, -3, -3, -2, -1, -1, -2, -1, -1}, {1, 1, 3, 3}));
}

TEST(MaxPool2d, MatchesNaiveLoop) {
  for (const Pool2dParams& p : windows()) {
    Tensor x = uniform({2, 3, 7, 8}, -1, 1, 4);
    EXPECT_ALLCLOSE(max_pool2d(x, p), naive_pool(x, p, true), 0, 0);
    EXPECT_ALLCLOSE(max_pool2d(x.to(kFloat32), p).to(kFloat64), naive_pool(x.to(kFloat32), p, true), 0, 0);
  }
}

TEST(MaxPool2d, Gradcheck) {
  for (const Pool2dParams& p : windows())
    EXPECT_GRADCHECK([p](auto& t) { return max_pool2d(t[0], p); }, {distinct({2, 2, 7, 6})});
}

TEST(MaxPool2d, BackwardScattersToArgmax) {
  // Overlapping windows (stride 1): the centre maximum collects every window's gradient.
  Tensor x = T({0, 1, 2, 3, 9, 4, 5, 6, 7}, {1, 1, 3, 3}).set_requires_grad();
  Tensor out = max_pool2d(x, P({2, 2}, {1, 1}));
  EXPECT_ALLCLOSE(out, T({9, 9, 9, 9}, {1, 1, 2, 2}));
  out.backward(T({1, 2, 3, 4}, {1, 1, 2, 2}));
  EXPECT_ALLCLOSE(x.grad(), T({0, 0, 0, 0, 10, 0, 0, 0, 0}, {1, 1, 3, 3}));
}

TEST(MaxPool2d, NaNPropagates) {
  Tensor x = T({1, NAN, 3, 4}, {1, 1, 2, 2});
  EXPECT_TRUE(std::isnan(max_pool2d(x, P({2, 2})).item()));
}

TEST(MaxPool2d, NonContiguousBatchOneAndZero) {
  Tensor x = distinct({2, 3, 6, 6});
  EXPECT_ALLCLOSE(max_pool2d(noncontiguous(x), P({2, 2})), naive_pool(x, P({2, 2}), true), 0, 0);
  Tensor x1 = distinct({1, 1, 5, 5});
  EXPECT_ALLCLOSE(max_pool2d(x1, P({3, 3}, {2, 2}, {1, 1})), naive_pool(x1, P({3, 3}, {2, 2}, {1, 1}), true), 0, 0);
  EXPECT_GRADCHECK([](auto& t) { return max_pool2d(noncontiguous(t[0]), P({2, 2}, {1, 1})); }, {distinct({1, 2, 3, 4})});
  Tensor x0 = zeros({0, 3, 4, 4}, kFloat64).set_requires_grad();
  Tensor out = max_pool2d(x0, P({2, 2}));
  EXPECT_EQ(out.shape(), (Shape{0, 3, 2, 2}));
  sum(out).backward();
  EXPECT_EQ(x0.grad().shape(), (Shape{0, 3, 4, 4}));
}

TEST(MaxPool2d, LargeThreadedAndOneDnnInference) {
  // 16*64*28*28 inputs: past cpu::kGrainSize. Without grad the oneDNN inference path runs.
  Tensor x = uniform({16, 64, 28, 28}, -1, 1, 5).to(kFloat32);
  for (const Pool2dParams& p : {P({2, 2}), P({3, 3}, {2, 2}, {1, 1})}) {
    Tensor ref;
    {
      cpu::ReferenceKernelsScope scope;
      ref = max_pool2d(x, p);
    }
    EXPECT_ALLCLOSE(ref.to(kFloat64), naive_pool(x, p, true), 0, 0);
    int64_t calls = cpu::onednn::pool2d_calls();
    Tensor fast;
    {
      NoGradGuard ng;
      fast = max_pool2d(x, p);
    }
    EXPECT_EQ(cpu::onednn::pool2d_calls() - calls, 1);
    EXPECT_ALLCLOSE(fast, ref, 0, 0);
    Tensor bf = x.to(kBFloat16), bref;
    {
      cpu::ReferenceKernelsScope scope;
      bref = max_pool2d(bf, p);
    }
    NoGradGuard ng;
    EXPECT_ALLCLOSE(max_pool2d(bf, p).to(kFloat64), bref.to(kFloat64), 0, 0);
  }
}

TEST(MaxPool2d, TrainingForwardAndBackwardMatchReference) {
  Tensor x = uniform({16, 64, 14, 14}, -1, 1, 6).to(kFloat32);
  auto f = [](const Tensor& t) { return max_pool2d(t, P({2, 2})); };
  std::vector<Tensor> fast = run_with_grad(x, f), ref;
  {
    cpu::ReferenceKernelsScope scope;
    ref = run_with_grad(x, f);
  }
  EXPECT_ALLCLOSE(fast[0], ref[0], 0, 0);
  EXPECT_ALLCLOSE(fast[1], ref[1], 0, 0);
}

TEST(MaxPool2d, Fast2x2MatchesReferenceShapesTiesAndNaN) {
  // The 2x2 stride-2 fast path works in blocks of 8 or 4 outputs (the last block overlapping),
  // so cover output widths 1..19, odd sizes (last row/column unused), ties and NaNs.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t w : {2, 3, 7, 8, 9, 14, 16, 17, 28, 38}) {
    for (int64_t h : {2, 5}) {
      SCOPED_TRACE("H=" + std::to_string(h) + " W=" + std::to_string(w));
      // Values from a small set: many ties inside windows.
      std::vector<float> v(static_cast<size_t>(3 * 2 * h * w));
      std::mt19937_64 rng(static_cast<uint64_t>(h * 100 + w));
      for (float& e : v) e = static_cast<float>(static_cast<int>(rng() % 4)) - 1.5f;
      for (size_t i = 0; i < v.size(); i += 7) v[i] = (rng() % 3 == 0) ? nan : v[i];
      Tensor x = from_vector(v, {3, 2, h, w});
      auto f = [](const Tensor& t) { return max_pool2d(t, P({2, 2})); };
      std::vector<Tensor> fast = run_with_grad(x, f), ref;
      {
        cpu::ReferenceKernelsScope scope;
        ref = run_with_grad(x, f);
      }
      std::vector<float> a = fast[0].to_vector<float>(), b = ref[0].to_vector<float>();
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i)
        EXPECT_TRUE(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) << i << ": " << a[i] << " vs " << b[i];
      // Equal gradients mean the same arg-max indices (the first maximum / first NaN).
      EXPECT_ALLCLOSE(fast[1], ref[1], 0, 0);
    }
  }
}

TEST(MaxPool2d, Errors) {
  EXPECT_EMBER_ERROR(max_pool2d(zeros({1, 1, 4, 4}), P({2, 2}, {0, 0}, {2, 0})), "max_pool2d", "padding", "half");
  EXPECT_EMBER_ERROR(max_pool2d(zeros({1, 1, 2, 2}), P({3, 3})), "max_pool2d", "[1,1,2,2]", "empty output");
  EXPECT_EMBER_ERROR(max_pool2d(zeros({4, 4}), P({2, 2})), "max_pool2d", "4-D", "[4,4]");
  EXPECT_EMBER_ERROR(max_pool2d(zeros({1, 1, 4, 4}), P({0, 2})), "max_pool2d", "kernel");
  EXPECT_EMBER_ERROR(max_pool2d(zeros({1, 1, 4, 4}), P({2, 2}, {-1, 1})), "max_pool2d", "stride");
  EXPECT_EMBER_ERROR(max_pool2d(zeros({1, 1, 4, 4}, kInt64), P({2, 2})), "max_pool2d", "floating");
}

// ---- avg_pool2d ---------------------------------------------------------------------------

TEST(AvgPool2d, HandChecked) {
  Tensor x = arange(16, TensorOptions(kFloat64)).reshape({1, 1, 4, 4});
  EXPECT_ALLCLOSE(avg_pool2d(x, P({2, 2})), T({2.5, 4.5, 10.5, 12.5}, {1, 1, 2, 2}));
  // count_include_pad: padded zeros count in the divisor.
  EXPECT_ALLCLOSE(avg_pool2d(ones({1, 1, 2, 2}, kFloat64), P({2, 2}, {1, 1}, {1, 1})),
                  T({0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25}, {1, 1, 3, 3}));
}

TEST(AvgPool2d, MatchesNaiveLoop) {
  for (const Pool2dParams& p : windows()) {
    Tensor x = uniform({2, 3, 7, 8}, -1, 1, 4);
    EXPECT_ALLCLOSE(avg_pool2d(x, p), naive_pool(x, p, false), 1e-12, 1e-12);
    EXPECT_ALLCLOSE(avg_pool2d(noncontiguous(x), p), naive_pool(x, p, false), 1e-12, 1e-12);
  }
}

TEST(AvgPool2d, Gradcheck) {
  for (const Pool2dParams& p : windows())
    EXPECT_GRADCHECK([p](auto& t) { return avg_pool2d(t[0], p); }, {uniform({2, 2, 7, 6})});
}

TEST(AvgPool2d, BatchOneAndZero) {
  Tensor x1 = uniform({1, 1, 5, 5});
  EXPECT_ALLCLOSE(avg_pool2d(x1, P({3, 3}, {2, 2}, {1, 1})), naive_pool(x1, P({3, 3}, {2, 2}, {1, 1}), false));
  Tensor x0 = zeros({0, 2, 4, 4}, kFloat64).set_requires_grad();
  Tensor out = avg_pool2d(x0, P({2, 2}));
  EXPECT_EQ(out.shape(), (Shape{0, 2, 2, 2}));
  sum(out).backward();
  EXPECT_EQ(x0.grad().shape(), (Shape{0, 2, 4, 4}));
}

TEST(AvgPool2d, OneDnnMatchesReference) {
  // Large enough to cross cpu::kGrainSize; float32 and bfloat16, forward and backward.
  for (DType dt : {kFloat32, kBFloat16})
    for (const Pool2dParams& p : {P({2, 2}), P({3, 3}, {2, 2}, {1, 1}), P({3, 3}, {2, 2})}) {
      SCOPED_TRACE(dtype_name(dt));
      Tensor x = uniform({16, 32, 14, 14}, -1, 1, 8).to(dt);
      auto f = [p](const Tensor& t) { return avg_pool2d(t, p); };
      int64_t calls = cpu::onednn::pool2d_calls();
      std::vector<Tensor> fast = run_with_grad(x, f), ref;
      if (dt == kFloat32) {
        EXPECT_EQ(cpu::onednn::pool2d_calls() - calls, 2);
      }
      {
        cpu::ReferenceKernelsScope scope;
        ref = run_with_grad(x, f);
      }
      double tol = dt == kFloat32 ? 1e-6 : 1e-2;
      EXPECT_ALLCLOSE(fast[0].to(kFloat64), ref[0].to(kFloat64), tol, tol);
      EXPECT_ALLCLOSE(fast[1].to(kFloat64), ref[1].to(kFloat64), tol, tol);
      EXPECT_ALLCLOSE(ref[0].to(kFloat64), naive_pool(x, p, false), tol, tol);
    }
}

TEST(AvgPool2d, Errors) {
  EXPECT_EMBER_ERROR(avg_pool2d(zeros({1, 1, 4, 4}), P({3, 3}, {1, 1}, {2, 2})), "avg_pool2d", "padding", "(2,2)");
  EXPECT_EMBER_ERROR(avg_pool2d(zeros({1, 1, 1, 5}), P({2, 2})), "avg_pool2d", "[1,1,1,5]", "empty output");
  EXPECT_EMBER_ERROR(avg_pool2d(zeros({1, 4, 4}), P({2, 2})), "avg_pool2d", "4-D");
}

// ---- adaptive_avg_pool2d ------------------------------------------------------------------

TEST(AdaptiveAvgPool2d, HandChecked) {
  // H=5 -> 3 bins: rows [0,2), [1,4), [3,5); W=2 -> 1 bin: both columns.
  Tensor x = T({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 5, 2});
  EXPECT_ALLCLOSE(adaptive_avg_pool2d(x, {3, 1}), T({1.5, 4.5, 7.5}, {1, 1, 3, 1}));
  // Same size is the identity; 1x1 is the global mean.
  Tensor y = uniform({2, 3, 4, 5});
  EXPECT_ALLCLOSE(adaptive_avg_pool2d(y, {4, 5}), y, 1e-12, 1e-12);
  EXPECT_ALLCLOSE(adaptive_avg_pool2d(y, {1, 1}), mean(y, {2, 3}, true), 1e-12, 1e-12);
  // Upsampling (out > in) repeats the inputs.
  EXPECT_ALLCLOSE(adaptive_avg_pool2d(T({1, 2}, {1, 1, 1, 2}), {2, 4}), T({1, 1, 2, 2, 1, 1, 2, 2}, {1, 1, 2, 4}));
  // Divisible sizes equal avg_pool2d.
  Tensor z = uniform({2, 2, 6, 8}, -1, 1, 3);
  EXPECT_ALLCLOSE(adaptive_avg_pool2d(z, {3, 2}), avg_pool2d(z, P({2, 4})), 1e-12, 1e-12);
}

TEST(AdaptiveAvgPool2d, Gradcheck) {
  EXPECT_GRADCHECK([](auto& t) { return adaptive_avg_pool2d(t[0], {3, 2}); }, {uniform({2, 2, 7, 5})});
  EXPECT_GRADCHECK([](auto& t) { return adaptive_avg_pool2d(noncontiguous(t[0]), {4, 6}); }, {uniform({1, 2, 3, 5})});
}

TEST(AdaptiveAvgPool2d, LargeAndBatchZero) {
  Tensor x = uniform({16, 64, 9, 9}, -1, 1, 2).to(kFloat32);
  Tensor out = adaptive_avg_pool2d(x, {4, 4});
  // Bins of 9 -> 4: [0,3), [2,5), [4,7), [6,9).
  EXPECT_ALLCLOSE(out.select(2, 0).select(2, 1), mean(x.slice(2, 0, 3).slice(3, 2, 5), {2, 3}), 1e-5, 1e-6);
  EXPECT_ALLCLOSE(out.select(2, 3).select(2, 2), mean(x.slice(2, 6, 9).slice(3, 4, 7), {2, 3}), 1e-5, 1e-6);
  Tensor x0 = zeros({0, 2, 4, 4}, kFloat64).set_requires_grad();
  Tensor o0 = adaptive_avg_pool2d(x0, {2, 2});
  EXPECT_EQ(o0.shape(), (Shape{0, 2, 2, 2}));
  sum(o0).backward();
  EXPECT_EQ(x0.grad().shape(), (Shape{0, 2, 4, 4}));
}

TEST(AdaptiveAvgPool2d, Errors) {
  EXPECT_EMBER_ERROR(adaptive_avg_pool2d(zeros({1, 1, 4, 4}), {0, 2}), "adaptive_avg_pool2d", "output size", "(0,2)");
  EXPECT_EMBER_ERROR(adaptive_avg_pool2d(zeros({1, 1, 0, 4}), {1, 1}), "adaptive_avg_pool2d", "[1,1,0,4]");
  EXPECT_EMBER_ERROR(adaptive_avg_pool2d(zeros({4, 4}), {1, 1}), "adaptive_avg_pool2d", "4-D");
}
