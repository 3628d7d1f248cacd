// The kernels' shared arithmetic (src/core/kernel_math.h: the CPU reference kernels and the CUDA
// kernels call it), run on the host and checked against the CPU backend's results through
// ember's ops: activations, log-sum-exp, the cross-entropy gradient, arg-max merging, pooling
// windows and their gathered backwards, the norm backward formulas, and the Adam/SGD steps (bit
// for bit). Runs without a GPU.
#include <cmath>
#include <limits>
#include <random>

#include "backends/cpu/fast_path.h"
#include "core/kernel_math.h"
#include "harness/op_harness.h"
#include "optim/update_kernels.h"

using namespace ember;
using namespace ember::test;
namespace cm = ember::math;

namespace {

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

/// Relative closeness for scalars (NaNs must match).
::testing::AssertionResult near(double got, double want, double rtol, double atol = 0) {
  if ((std::isnan(got) && std::isnan(want)) || got == want || std::abs(got - want) <= atol + rtol * std::abs(want))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << got << " vs expected " << want;
}

Tensor spread(int64_t n, double lo, double hi, DType t) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
  return from_vector(v, {n}, TensorOptions(t));
}

}  // namespace

// ---- activations --------------------------------------------------------------------------

TEST(KernelMath, GeluMatchesCpu) {
  cpu::ReferenceKernelsScope reference;  // the CPU's reference loops (float32 has a vectorised fast path)
  for (DType t : {kFloat64, kFloat32}) {
    Tensor x = spread(401, -9.0, 9.0, t);
    std::vector<double> xs = values(x), want = values(gelu(x));
    for (size_t i = 0; i < xs.size(); ++i) {
      const double got = t == kFloat64 ? cm::gelu<double>(xs[i]) : cm::gelu<float>(static_cast<float>(xs[i]));
      EXPECT_TRUE(near(got, want[i], t == kFloat64 ? 1e-15 : 1e-7, 1e-300)) << "x = " << xs[i];
    }
  }
}

TEST(KernelMath, GeluBackwardMatchesCpuAutograd) {
  cpu::ReferenceKernelsScope reference;
  for (DType t : {kFloat64, kFloat32}) {
    Tensor x = spread(301, -7.0, 7.0, t).set_requires_grad(true);
    Tensor g = uniform({301}, -2.0, 2.0, 5).to(t);
    gelu(x).backward(g);
    std::vector<double> xs = values(x.detach()), gs = values(g), want = values(x.grad());
    for (size_t i = 0; i < xs.size(); ++i) {
      const double got = t == kFloat64 ? cm::gelu_backward<double>(gs[i], xs[i])
                                       : cm::gelu_backward<float>(static_cast<float>(gs[i]), static_cast<float>(xs[i]));
      EXPECT_TRUE(near(got, want[i], t == kFloat64 ? 1e-14 : 1e-6, 1e-300)) << "x = " << xs[i];
    }
  }
}

TEST(KernelMath, SigmoidClampMaximumMatchCpu) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = T({-30, -2.5, -1, 0, 0.5, 3, 40, nan}, {8});
  std::vector<double> xs = values(x), sig = values(sigmoid(x)), cl = values(clamp(x, -1.5, 2.0));
  std::vector<double> cl_lo = values(clamp_min(x, 0.25));
  Tensor y = T({0, -3, nan, 0, 1, 3, -40, 1}, {8});
  std::vector<double> ys = values(y), mx = values(maximum(x, y)), mn = values(minimum(x, y));
  for (size_t i = 0; i < xs.size(); ++i) {
    EXPECT_TRUE(near(cm::sigmoid(xs[i]), sig[i], 1e-15, 1e-300));
    EXPECT_TRUE(near(cm::clamp(xs[i], -1.5, 2.0, true), cl[i], 0));
    EXPECT_TRUE(near(cm::clamp(xs[i], 0.25, nan, true), cl_lo[i], 0));
    EXPECT_TRUE(near(cm::maximum(xs[i], ys[i]), mx[i], 0));
    EXPECT_TRUE(near(cm::minimum(xs[i], ys[i]), mn[i], 0));
  }
  EXPECT_EQ(cm::maximum<int64_t>(3, -7), 3);
  EXPECT_EQ(cm::clamp<int64_t>(9, nan, 4.0, false), 4);
}

// ---- log-sum-exp --------------------------------------------------------------------------

namespace {
/// lse of v folded the way a row of `threads` CUDA threads folds it: thread t pushes elements
/// t, t+threads, ...; the partial results merge pairwise in a tree.
double lse_as_kernel(const std::vector<double>& v, int threads) {
  std::vector<cm::Lse<double>> part(static_cast<size_t>(threads));
  for (size_t j = 0; j < v.size(); ++j) cm::lse_push(part[j % threads], v[j]);
  for (int s = threads / 2; s > 0; s /= 2)
    for (int t = 0; t < s; ++t) part[t] = cm::lse_merge(part[t], part[t + s]);
  return cm::lse_value(part[0]);
}
}  // namespace

TEST(KernelMath, LogSumExpMatchesCpuLogSoftmax) {
  const double inf = std::numeric_limits<double>::infinity();
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> d(-30.0, 30.0);
  for (int64_t C : {1, 3, 10, 257}) {
    std::vector<double> v(static_cast<size_t>(C));
    for (double& x : v) x = d(rng);
    if (C > 3) v[1] = -inf, v[2] = 700.0;  // a -inf entry and one that would overflow exp
    // log_softmax(x)[j] = x[j] - lse  =>  lse = x[0] - log_softmax(x)[0] for a finite x[0]
    const double want = v[0] - values(log_softmax(T(v, {C}), 0))[0];
    for (int threads : {1, 2, 32, 256}) EXPECT_TRUE(near(lse_as_kernel(v, threads), want, 1e-13)) << C << " " << threads;
  }
  // Degenerate rows: all -inf gives shift 0 and sum 0 (the CPU's rule); a NaN poisons the sum.
  cm::Lse<double> all_neg;
  for (int i = 0; i < 4; ++i) cm::lse_push(all_neg, -inf);
  EXPECT_EQ(cm::lse_shift(all_neg), 0.0);
  EXPECT_EQ(all_neg.s, 0.0);
  EXPECT_TRUE(std::isnan(lse_as_kernel({1.0, std::nan(""), 2.0, 3.0}, 2)));
}

TEST(KernelMath, CrossEntropyMatchesCpuWithLabelSmoothing) {
  const int64_t N = 5, C = 7;
  const double ls = 0.2;
  Tensor logits = uniform({N, C}, -4.0, 4.0, 11).set_requires_grad(true);
  Tensor target = from_vector(std::vector<int64_t>{0, 6, 3, 3, 1}, {N});
  Tensor loss = cross_entropy(logits, target, ls, Reduction::None);
  sum(loss).backward();
  std::vector<double> x = values(logits.detach()), want_loss = values(loss.detach()), want_grad = values(logits.grad());
  std::vector<int64_t> t = target.to_vector<int64_t>();
  for (int64_t i = 0; i < N; ++i) {
    std::vector<double> row(x.begin() + i * C, x.begin() + (i + 1) * C);
    const double lse = lse_as_kernel(row, 4);
    double sum_x = 0;
    for (double v : row) sum_x += v;
    // The forward formula of the cross_entropy kernel.
    const double li = (1 - ls) * (lse - row[t[i]]) + ls * (lse - sum_x / C);
    EXPECT_TRUE(near(li, want_loss[i], 1e-12));
    for (int64_t j = 0; j < C; ++j)
      EXPECT_TRUE(near(cm::cross_entropy_grad(row[j], lse, ls / C, 1 - ls, j == t[i], 1.0), want_grad[i * C + j], 1e-11,
                       1e-14));
  }
}

// ---- arg-max merging ------------------------------------------------------------------------

TEST(KernelMath, ExtremumMergeMatchesCpuArgmax) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> small(0, 4);  // many ties
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> v(37);
    for (double& x : v) x = small(rng);
    if (trial % 3 == 1) v[11] = nan, v[29] = nan;  // the first NaN wins
    Tensor tv = T(v, {37});
    ValuesIndices want = max(tv, 0);
    for (int threads : {1, 4, 32}) {
      std::vector<double> bv(threads, 0);
      std::vector<int64_t> bi(threads, -1);
      for (size_t j = 0; j < v.size(); ++j) {
        const int th = static_cast<int>(j % threads);
        if (cm::extremum_better(v[j], static_cast<int64_t>(j), bv[th], bi[th], true)) bv[th] = v[j], bi[th] = j;
      }
      for (int s = threads / 2; s > 0; s /= 2)
        for (int th = 0; th < s; ++th)
          if (cm::extremum_better(bv[th + s], bi[th + s], bv[th], bi[th], true)) bv[th] = bv[th + s], bi[th] = bi[th + s];
      EXPECT_TRUE(near(bv[0], want.values.item(), 0)) << "trial " << trial;
      EXPECT_EQ(bi[0], want.indices.item<int64_t>()) << "trial " << trial << ", " << threads << " threads";
    }
  }
  // min: the first of equal minima
  EXPECT_TRUE(cm::extremum_better(1.0, 2, 1.0, 5, false));
  EXPECT_FALSE(cm::extremum_better(1.0, 5, 1.0, 2, false));
  EXPECT_TRUE(cm::extremum_better(0.5, 9, 1.0, 2, false));
}

// ---- pooling ----------------------------------------------------------------------------

namespace {
struct PoolCase {
  int64_t H, W, kh, kw, sh, sw, ph, pw;
};
cm::PoolGeom geom(const PoolCase& c, int64_t OH, int64_t OW) {
  return {c.H, c.W, OH, OW, c.kh, c.kw, c.sh, c.sw, c.ph, c.pw};
}
}  // namespace

TEST(KernelMath, PoolingForwardAndGatheredBackwardMatchCpu) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const PoolCase& c : {PoolCase{6, 7, 2, 2, 2, 2, 0, 0}, PoolCase{7, 5, 3, 3, 2, 1, 1, 1},
                            PoolCase{5, 8, 3, 2, 1, 3, 1, 0}, PoolCase{9, 9, 4, 4, 3, 3, 2, 2}}) {
    Pool2dParams p;
    p.kernel = {c.kh, c.kw};
    p.stride = {c.sh, c.sw};
    p.padding = {c.ph, c.pw};
    Tensor x0 = uniform({1, 1, c.H, c.W}, -3.0, 3.0, static_cast<uint64_t>(c.H * 31 + c.W));
    std::vector<double> xv = values(x0);
    xv[static_cast<size_t>(c.W + 1)] = xv[0];  // a tie
    if (c.H == 7) xv[static_cast<size_t>(2 * c.W + 2)] = nan;
    for (int kind = 0; kind < 2; ++kind) {
      Tensor x = T(xv, {1, 1, c.H, c.W}).set_requires_grad(true);
      Tensor out = kind == 0 ? max_pool2d(x, p) : avg_pool2d(x, p);
      const int64_t OH = out.size(2), OW = out.size(3);
      Tensor g = uniform(out.shape(), -1.0, 1.0, 77);
      out.backward(g);
      const cm::PoolGeom d = geom(c, OH, OW);
      std::vector<double> want = values(out.detach()), gv = values(g), want_dx = values(x.grad());
      auto at = [&](int64_t k) { return xv[static_cast<size_t>(k)]; };
      auto grad = [&](int64_t k) { return gv[static_cast<size_t>(k)]; };
      std::vector<int64_t> idx(static_cast<size_t>(OH * OW));
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double v;
          if (kind == 0) cm::max_pool_at(d, oh, ow, at, v, idx[oh * OW + ow]);
          else v = cm::avg_pool_at<double>(d, oh, ow, at);
          EXPECT_TRUE(near(v, want[oh * OW + ow], 1e-12)) << "kind " << kind << " H " << c.H << " at " << oh << "," << ow;
        }
      auto index = [&](int64_t k) { return idx[static_cast<size_t>(k)]; };
      for (int64_t h = 0; h < c.H; ++h)
        for (int64_t w = 0; w < c.W; ++w) {
          const double dx = kind == 0 ? cm::max_pool_grad_at<double>(d, h, w, grad, index)
                                      : cm::avg_pool_grad_at<double>(d, h, w, grad);
          EXPECT_TRUE(near(dx, want_dx[h * c.W + w], 1e-12, 1e-15)) << "kind " << kind << " H " << c.H << " at " << h << "," << w;
        }
    }
  }
}

TEST(KernelMath, AdaptivePoolingMatchesCpu) {
  for (auto [H, W, OH, OW] : {std::array<int64_t, 4>{7, 5, 3, 2}, {4, 4, 4, 4}, {5, 9, 2, 4}, {3, 2, 5, 3}}) {
    Tensor x = uniform({1, 1, H, W}, -2.0, 2.0, static_cast<uint64_t>(H + 10 * W)).set_requires_grad(true);
    Tensor out = adaptive_avg_pool2d(x, {OH, OW});
    Tensor g = uniform(out.shape(), -1.0, 1.0, 8);
    out.backward(g);
    const cm::PoolGeom d{H, W, OH, OW, 0, 0, 0, 0, 0, 0};
    std::vector<double> xv = values(x.detach()), gv = values(g), want = values(out.detach()), want_dx = values(x.grad());
    auto at = [&](int64_t k) { return xv[static_cast<size_t>(k)]; };
    auto grad = [&](int64_t k) { return gv[static_cast<size_t>(k)]; };
    for (int64_t o = 0; o < OH * OW; ++o)
      EXPECT_TRUE(near(cm::adaptive_avg_at<double>(d, o / OW, o % OW, at), want[o], 1e-13));
    for (int64_t i = 0; i < H * W; ++i)
      EXPECT_TRUE(near(cm::adaptive_avg_grad_at<double>(d, i / W, i % W, grad), want_dx[i], 1e-12, 1e-15))
          << H << "x" << W << " -> " << OH << "x" << OW << " at " << i;
  }
}

TEST(KernelMath, PoolCoveringIsExactlyTheWindowsContainingAnInput) {
  for (int64_t k = 1; k <= 4; ++k)
    for (int64_t s = 1; s <= 3; ++s)
      for (int64_t p = 0; p <= k / 2; ++p) {
        const int64_t n = 11, n_out = (n + 2 * p - k) / s + 1;
        for (int64_t i = 0; i < n; ++i) {
          int64_t lo, hi;
          cm::pool_covering(i, k, s, p, n_out, lo, hi);
          for (int64_t o = 0; o < n_out; ++o) {
            int64_t w0, w1;
            cm::pool_window(o, k, s, p, n, w0, w1);
            EXPECT_EQ(o >= lo && o < hi, i >= w0 && i < w1) << "k" << k << " s" << s << " p" << p << " i" << i << " o" << o;
          }
        }
      }
}

// ---- norms ----------------------------------------------------------------------------------

TEST(KernelMath, LayerNormBackwardFormulaMatchesCpu) {
  const int64_t M = 4, N = 9;
  Tensor x = uniform({M, N}, -2.0, 3.0, 21).set_requires_grad(true);
  Tensor w = uniform({N}, 0.5, 1.5, 22);
  Tensor g = uniform({M, N}, -1.0, 1.0, 23);
  layer_norm(x, {N}, w, Tensor(), 1e-5).backward(g);
  std::vector<double> xv = values(x.detach()), wv = values(w), gv = values(g), want = values(x.grad());
  for (int64_t i = 0; i < M; ++i) {
    double m = 0, sq = 0;
    for (int64_t j = 0; j < N; ++j) m += xv[i * N + j];
    m /= N;
    for (int64_t j = 0; j < N; ++j) sq += (xv[i * N + j] - m) * (xv[i * N + j] - m);
    const double r = 1.0 / std::sqrt(sq / N + 1e-5);
    double sum_gw = 0, sum_gwx = 0;
    for (int64_t j = 0; j < N; ++j) {
      const double gw = gv[i * N + j] * wv[j];
      sum_gw += gw;
      sum_gwx += gw * (xv[i * N + j] - m) * r;
    }
    for (int64_t j = 0; j < N; ++j)
      EXPECT_TRUE(near(cm::layer_norm_dx(gv[i * N + j] * wv[j], (xv[i * N + j] - m) * r, r, N, sum_gw, sum_gwx),
                       want[i * N + j], 1e-10, 1e-13));
  }
}

TEST(KernelMath, BatchNormBackwardFormulaMatchesCpu) {
  const int64_t N = 3, C = 2, S = 5, M = N * S;
  Tensor w = uniform({C}, 0.5, 1.5, 31), b = uniform({C}, -1.0, 1.0, 32);
  Tensor g = uniform({N, C, S}, -1.0, 1.0, 33);
  for (bool training : {true, false}) {
    Tensor x = uniform({N, C, S}, -2.0, 2.0, 34).set_requires_grad(true);
    Tensor rm = uniform({C}, -0.5, 0.5, 35), rv = uniform({C}, 0.5, 2.0, 36);
    batch_norm(x, training ? Tensor() : rm, training ? Tensor() : rv, w, b, training, 0.1, 1e-5).backward(g);
    std::vector<double> xv = values(x.detach()), gv = values(g), wv = values(w), want = values(x.grad());
    std::vector<double> rmv = values(rm), rvv = values(rv);
    auto at = [&](const std::vector<double>& v, int64_t n, int64_t c, int64_t s) { return v[(n * C + c) * S + s]; };
    for (int64_t c = 0; c < C; ++c) {
      double m = 0, sq = 0;
      if (training) {
        for (int64_t n = 0; n < N; ++n)
          for (int64_t s = 0; s < S; ++s) m += at(xv, n, c, s);
        m /= M;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t s = 0; s < S; ++s) sq += (at(xv, n, c, s) - m) * (at(xv, n, c, s) - m);
      }
      const double r = training ? 1.0 / std::sqrt(sq / M + 1e-5) : 1.0 / std::sqrt(rvv[c] + 1e-5);
      if (!training) m = rmv[c];
      double sum_g = 0, sum_gx = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t s = 0; s < S; ++s) {
          sum_g += at(gv, n, c, s);
          sum_gx += at(gv, n, c, s) * (at(xv, n, c, s) - m) * r;
        }
      for (int64_t n = 0; n < N; ++n)
        for (int64_t s = 0; s < S; ++s) {
          const double dx = cm::batch_norm_dx(at(gv, n, c, s), (at(xv, n, c, s) - m) * r, wv[c] * r,
                                              static_cast<double>(M), sum_g, sum_gx, training);
          EXPECT_TRUE(near(dx, at(want, n, c, s), 1e-6, 1e-9)) << (training ? "training" : "eval") << " c" << c;
        }
    }
  }
}

// ---- optimizer steps: bit for bit with the CPU's fused loops ------------------------------

namespace {
template <class T>
std::vector<T> as(const Tensor& t) {
  return t.to_vector<T>();
}
}  // namespace

TEST(KernelMath, AdamStepEqualsCpuFusedLoopBitForBit) {
  for (DType t : {kFloat32, kFloat64})
    for (double beta1 : {0.9, 0.3})  // both branches of the first-moment update
      for (bool decoupled : {false, true}) {
        const int64_t n = 97;
        Tensor p = uniform({n}, -1, 1, 41).to(t), m = zeros({n}, t), v = zeros({n}, t);
        std::vector<double> pd = values(p), md(n, 0), vd(n, 0);
        std::vector<float> pf(pd.begin(), pd.end()), mf(n, 0), vf(n, 0);
        for (int64_t step = 1; step <= 4; ++step) {
          Tensor g = uniform({n}, -1, 1, 50 + static_cast<uint64_t>(step)).to(t);
          optim::kernels::AdamArgs a{1e-2, beta1, 0.999, 1e-8, 0.05, decoupled, step};
          optim::kernels::adam_fused(p, g, m, v, a);
          std::vector<double> gd = values(g);
          if (t == kFloat64) {
            const auto s = cm::adam_scalars<double>(a.lr, a.beta1, a.beta2, a.eps, a.weight_decay, a.decoupled, a.step);
            for (int64_t i = 0; i < n; ++i) cm::adam_step(pd[i], gd[i], md[i], vd[i], s);
          } else {
            const auto s = cm::adam_scalars<float>(a.lr, a.beta1, a.beta2, a.eps, a.weight_decay, a.decoupled, a.step);
            for (int64_t i = 0; i < n; ++i) cm::adam_step(pf[i], static_cast<float>(gd[i]), mf[i], vf[i], s);
          }
        }
        if (t == kFloat64) {
          EXPECT_EQ(as<double>(p), pd);
          EXPECT_EQ(as<double>(m), md);
          EXPECT_EQ(as<double>(v), vd);
        } else {
          EXPECT_EQ(as<float>(p), pf);
          EXPECT_EQ(as<float>(m), mf);
          EXPECT_EQ(as<float>(v), vf);
        }
      }
}

TEST(KernelMath, SgdStepEqualsCpuFusedLoopBitForBit) {
  struct Case {
    double momentum, dampening, wd;
    bool nesterov;
  };
  for (DType t : {kFloat32, kFloat64})
    for (const Case& c : {Case{0, 0, 0, false}, Case{0.9, 0.1, 1e-3, false}, Case{0.8, 0, 0.01, true}}) {
      const int64_t n = 53;
      Tensor p = uniform({n}, -1, 1, 61).to(t), buf = zeros({n}, t);
      std::vector<double> pd = values(p), bd(n, 0);
      std::vector<float> pf(pd.begin(), pd.end()), bf(n, 0);
      for (int step = 0; step < 3; ++step) {
        Tensor g = uniform({n}, -1, 1, 70 + static_cast<uint64_t>(step)).to(t);
        optim::kernels::SGDArgs a{0.05, c.momentum, c.dampening, c.wd, c.nesterov};
        optim::kernels::sgd_fused(p, g, buf, step == 0, a);
        std::vector<double> gd = values(g);
        if (t == kFloat64) {
          const auto s = cm::sgd_scalars<double>(a.lr, a.momentum, a.dampening, a.weight_decay, a.nesterov, step == 0);
          for (int64_t i = 0; i < n; ++i) cm::sgd_step(pd[i], gd[i], &bd[i], s);
        } else {
          const auto s = cm::sgd_scalars<float>(a.lr, a.momentum, a.dampening, a.weight_decay, a.nesterov, step == 0);
          for (int64_t i = 0; i < n; ++i) cm::sgd_step(pf[i], static_cast<float>(gd[i]), &bf[i], s);
        }
      }
      if (t == kFloat64) EXPECT_EQ(as<double>(p), pd);
      else EXPECT_EQ(as<float>(p), pf);
    }
}
