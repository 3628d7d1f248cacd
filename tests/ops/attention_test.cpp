// scaled_dot_product_attention tests: float64 finite-difference gradients (causal, non-causal,
// explicit scale, L != S), agreement with the composed form (matmul, masked_fill, softmax,
// dropout) including the dropout mask in forward and backward, a causal mask that matches
// tril(ones(L, S)) from the indices, float32/bf16 paths, size-0 dims and error messages.
#include <array>
#include <cmath>
#include <limits>

#include "harness/op_harness.h"
#include "ops/attention.h"

using namespace ember;
using namespace ember::test;

namespace {

/// softmax(q k^T * scale + mask) v written out from primitives (mask: tril(ones(L, S))).
Tensor reference(const Tensor& q, const Tensor& k, const Tensor& v, bool causal, double scale) {
  Tensor s = mul(matmul(q, k.transpose(-1, -2)), scale);
  if (causal) {
    const int64_t L = q.size(-2), S = k.size(-2);
    std::vector<double> m(static_cast<size_t>(L * S));
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < S; ++j) m[i * S + j] = j > i ? 1.0 : 0.0;
    s = masked_fill(s, gt(T(m, {L, S}), 0.5), -std::numeric_limits<double>::infinity());
  }
  return matmul(softmax(s, -1), v);
}

}  // namespace

TEST(Attention, MatchesWrittenOutFormula) {
  Tensor q = uniform({2, 3, 5, 4}, -1, 1, 1), k = uniform({2, 3, 7, 4}, -1, 1, 2), v = uniform({2, 3, 7, 6}, -1, 1, 3);
  EXPECT_ALLCLOSE(scaled_dot_product_attention(q, k, v), reference(q, k, v, false, 0.5), 1e-12, 1e-13);
  EXPECT_ALLCLOSE(scaled_dot_product_attention(q, k, v, true), reference(q, k, v, true, 0.5), 1e-12, 1e-13);
  EXPECT_ALLCLOSE(scaled_dot_product_attention(q, k, v, true, 0.0, 0.3), reference(q, k, v, true, 0.3), 1e-12, 1e-13);
  // L > S: rows past S attend every key.
  Tensor q2 = uniform({3, 9, 4}, -1, 1, 4), k2 = uniform({3, 4, 4}, -1, 1, 5), v2 = uniform({3, 4, 2}, -1, 1, 6);
  EXPECT_ALLCLOSE(scaled_dot_product_attention(q2, k2, v2, true), reference(q2, k2, v2, true, 0.5), 1e-12, 1e-13);
}

TEST(Attention, CausalRowZeroAttendsOnlyKeyZero) {
  Tensor q = uniform({1, 3, 2}, -1, 1, 7), k = uniform({1, 5, 2}, -1, 1, 8), v = uniform({1, 5, 3}, -1, 1, 9);
  Tensor o = scaled_dot_product_attention(q, k, v, true);
  EXPECT_ALLCLOSE(o.select(1, 0), v.select(1, 0), 1e-14, 1e-15);
}

TEST(Attention, Float32MatchesFloat64) {
  // Long rows exercise the 8-wide vector loops and their partial last block.
  for (int64_t S : {1, 8, 13, 64, 131}) {
    Tensor q = uniform({2, 9, 16}, -2, 2, 10), k = uniform({2, S, 16}, -2, 2, 11), v = uniform({2, S, 5}, -1, 1, 12);
    for (bool causal : {false, true}) {
      Tensor w = uniform({2, 9, 5}, -1, 1, 13);
      std::vector<Tensor> g64, g32;
      for (DType t : {kFloat64, kFloat32}) {
        Tensor a = q.to(t).detach(), b = k.to(t).detach(), c = v.to(t).detach();
        a.set_requires_grad(true), b.set_requires_grad(true), c.set_requires_grad(true);
        Tensor o = scaled_dot_product_attention(a, b, c, causal);
        sum(mul(o, w.to(t))).backward();
        auto& g = t == kFloat64 ? g64 : g32;
        g = {o.to(kFloat64), a.grad().to(kFloat64), b.grad().to(kFloat64), c.grad().to(kFloat64)};
      }
      for (size_t i = 0; i < g64.size(); ++i)
        EXPECT_ALLCLOSE(g32[i], g64[i], 2e-5, 2e-6) << "S=" << S << " causal=" << causal << " result " << i;
    }
  }
}

TEST(Attention, GradcheckNonCausal) {
  auto f = [](const std::vector<Tensor>& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); };
  EXPECT_GRADCHECK(f, {uniform({2, 3, 4}, -1, 1, 20), uniform({2, 5, 4}, -1, 1, 21), uniform({2, 5, 3}, -1, 1, 22)});
}

TEST(Attention, GradcheckCausal) {
  auto f = [](const std::vector<Tensor>& x) { return scaled_dot_product_attention(x[0], x[1], x[2], true); };
  EXPECT_GRADCHECK(f, {uniform({2, 2, 5, 3}, -1, 1, 23), uniform({2, 2, 5, 3}, -1, 1, 24),
                       uniform({2, 2, 5, 2}, -1, 1, 25)});
  // L != S, top-left alignment.
  EXPECT_GRADCHECK(f, {uniform({3, 6, 2}, -1, 1, 26), uniform({3, 4, 2}, -1, 1, 27), uniform({3, 4, 3}, -1, 1, 28)});
}

TEST(Attention, GradcheckScaleAndNonContiguousInputs) {
  auto f = [](const std::vector<Tensor>& x) {
    return scaled_dot_product_attention(x[0].transpose(1, 2), x[1], x[2], true, 0.0, 1.7);
  };
  EXPECT_GRADCHECK(f, {uniform({2, 3, 4}, -1, 1, 29), uniform({2, 4, 3}, -1, 1, 30), uniform({2, 4, 2}, -1, 1, 31)});
}

TEST(Attention, DropoutMaskIsOneInForwardAndBackward) {
  // With one seed re-set before each evaluation the op is a deterministic function of its
  // inputs, so finite differences check that backward redraws the forward's mask.
  auto f = [](const std::vector<Tensor>& x) {
    manual_seed(1234);
    return scaled_dot_product_attention(x[0], x[1], x[2], true, 0.4);
  };
  EXPECT_GRADCHECK(f, {uniform({2, 5, 3}, -1, 1, 32), uniform({2, 6, 3}, -1, 1, 33), uniform({2, 6, 4}, -1, 1, 34)});
  // Dropout did something: the result differs from the one without dropout.
  Tensor q = uniform({2, 5, 3}, -1, 1, 32), k = uniform({2, 6, 3}, -1, 1, 33), v = uniform({2, 6, 4}, -1, 1, 34);
  manual_seed(1234);
  EXPECT_FALSE(allclose(scaled_dot_product_attention(q, k, v, true, 0.4), scaled_dot_product_attention(q, k, v, true),
                        1e-3, 1e-3));
}

TEST(Attention, FusedMatchesComposedWithDropout) {
  for (DType t : {kFloat64, kFloat32}) {
    for (bool causal : {false, true}) {
      std::vector<Tensor> res[2];
      for (int composed = 0; composed < 2; ++composed) {
        Tensor q = uniform({2, 3, 6, 4}, -1, 1, 40).to(t), k = uniform({2, 3, 9, 4}, -1, 1, 41).to(t),
               v = uniform({2, 3, 9, 5}, -1, 1, 42).to(t);
        for (Tensor* x : {&q, &k, &v}) x->set_requires_grad(true);
        manual_seed(77);
        Tensor o = composed ? ops::sdpa_composed(q, k, v, causal, 0.3, 0.5)
                            : scaled_dot_product_attention(q, k, v, causal, 0.3);
        sum(mul(o, uniform({2, 3, 6, 5}, -1, 1, 43).to(t))).backward();
        res[composed] = {o, q.grad(), k.grad(), v.grad()};
      }
      const double tol = t == kFloat64 ? 1e-12 : 1e-5;
      for (size_t i = 0; i < 4; ++i) EXPECT_ALLCLOSE(res[0][i], res[1][i], tol, tol) << "causal " << causal << " " << i;
    }
  }
}

TEST(Attention, LongCausalRowsMatchComposedGradients) {
  // 150 x 150 float64 weights make several chunks of heads on the CPU (the dropout stream continues).
  for (auto [L, S] : std::vector<std::array<int64_t, 2>>{{70, 100}, {100, 45}, {64, 64}, {33, 33}, {40, 7}, {150, 150}}) {
    for (double p : {0.0, 0.2}) {
      std::vector<Tensor> res[2];
      for (int composed = 0; composed < 2; ++composed) {
        Tensor q = uniform({6, L, 5}, -1, 1, 44), k = uniform({6, S, 5}, -1, 1, 45), v = uniform({6, S, 3}, -1, 1, 46);
        for (Tensor* x : {&q, &k, &v}) x->set_requires_grad(true);
        manual_seed(78);
        Tensor o = composed ? ops::sdpa_composed(q, k, v, true, p, 0.4) : scaled_dot_product_attention(q, k, v, true, p, 0.4);
        sum(mul(o, uniform({6, L, 3}, -1, 1, 47))).backward();
        res[composed] = {o, q.grad(), k.grad(), v.grad()};
      }
      for (size_t i = 0; i < 4; ++i)
        EXPECT_ALLCLOSE(res[0][i], res[1][i], 1e-12, 1e-12) << "L=" << L << " S=" << S << " p=" << p << " " << i;
    }
  }
}

TEST(Attention, DropoutKeepsAboutOneMinusPAndScales) {
  // v = identity rows: the output is the dropped weights themselves.
  const int64_t L = 64, S = 64;
  Tensor q = zeros({1, L, 4}, kFloat64), k = zeros({1, S, 4}, kFloat64);
  Tensor v = zeros({S, S}, kFloat64);
  for (int64_t i = 0; i < S; ++i) v.data_ptr<double>()[i * S + i] = 1.0;
  manual_seed(5);
  Tensor pd = scaled_dot_product_attention(q, k, v.unsqueeze(0), false, 0.25);
  int64_t kept = 0;
  const double* p = pd.data_ptr<double>();
  for (int64_t i = 0; i < L * S; ++i) {
    if (p[i] != 0.0) {
      ++kept;
      EXPECT_NEAR(p[i], (1.0 / S) / 0.75, 1e-12);
    }
  }
  EXPECT_NEAR(static_cast<double>(kept) / (L * S), 0.75, 0.03);
}

TEST(Attention, AutocastRunsInBFloat16) {
  Tensor q = uniform({2, 5, 8}, -1, 1, 50).to(kFloat32), k = uniform({2, 7, 8}, -1, 1, 51).to(kFloat32),
         v = uniform({2, 7, 4}, -1, 1, 52).to(kFloat32);
  Tensor ref = scaled_dot_product_attention(q, k, v, true);
  q.set_requires_grad(true);
  Tensor o;
  {
    amp::AutocastGuard guard(kBFloat16);
    o = scaled_dot_product_attention(q, k, v, true);
  }
  EXPECT_EQ(o.dtype(), kBFloat16);
  EXPECT_ALLCLOSE(o.to(kFloat32), ref, 3e-2, 3e-2);
  sum(o.to(kFloat32)).backward();
  ASSERT_TRUE(q.grad().defined());
  EXPECT_EQ(q.grad().dtype(), kFloat32);
  // Plain bfloat16 operands (no autocast) run the 16-bit row loops.
  EXPECT_ALLCLOSE(scaled_dot_product_attention(q.detach().to(kBFloat16), k.to(kBFloat16), v.to(kBFloat16), false)
                      .to(kFloat32),
                  scaled_dot_product_attention(q.detach(), k, v, false), 3e-2, 3e-2);
}

TEST(Attention, SixteenBitRowsMatchFloat32) {
  // bfloat16 and float16 rows run the float32 vector code on widened copies (one rounding per
  // weight); compare with float32 on the same rounded values, long causal rows included.
  for (DType t : {kBFloat16, kFloat16}) {
    for (int64_t S : {13, 131}) {
      std::vector<Tensor> res[2];
      for (int wide = 0; wide < 2; ++wide) {
        Tensor q = uniform({2, 40, 8}, -1, 1, 53).to(t), k = uniform({2, S, 8}, -1, 1, 54).to(t),
               v = uniform({2, S, 4}, -1, 1, 55).to(t);
        if (wide) q = q.to(kFloat32), k = k.to(kFloat32), v = v.to(kFloat32);
        for (Tensor* x : {&q, &k, &v}) x->set_requires_grad(true);
        Tensor o = scaled_dot_product_attention(q, k, v, true);
        sum(mul(o, uniform({2, 40, 4}, -1, 1, 56).to(o.dtype()))).backward();
        res[wide] = {o.to(kFloat32), q.grad().to(kFloat32), k.grad().to(kFloat32), v.grad().to(kFloat32)};
      }
      const double tol = t == kBFloat16 ? 3e-2 : 4e-3;
      for (size_t i = 0; i < 4; ++i) EXPECT_ALLCLOSE(res[0][i], res[1][i], tol, tol) << dtype_name(t) << " S=" << S << " " << i;
    }
  }
}

TEST(Attention, EmptyDims) {
  Tensor q = uniform({2, 3, 4}), k = uniform({2, 0, 4}), v = uniform({2, 0, 5});
  Tensor o = scaled_dot_product_attention(q, k, v);
  EXPECT_EQ(o.shape(), (Shape{2, 3, 5}));
  EXPECT_ALLCLOSE(o, zeros({2, 3, 5}, kFloat64));
  EXPECT_EQ(scaled_dot_product_attention(uniform({0, 3, 4}), uniform({0, 2, 4}), uniform({0, 2, 1})).shape(),
            (Shape{0, 3, 1}));
}

TEST(Attention, ErrorsNameTheProblem) {
  Tensor q = uniform({2, 3, 4}), k = uniform({2, 5, 4}), v = uniform({2, 5, 6});
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, uniform({2, 5, 3}), v), "scaled_dot_product_attention",
                     "embedding sizes E 4 and 3 differ");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, uniform({2, 4, 6})), "sequence lengths S 5 and 4 differ");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, uniform({3, 5, 4}), uniform({3, 5, 6})),
                     "leading dimensions differ");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k.unsqueeze(0), v), "one rank >= 2");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(uniform({4}), uniform({4}), uniform({4})), "one rank >= 2");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k.to(kFloat32), v), "dtypes float64, float32, float64 differ");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, false, 1.0), "dropout_p must be in [0, 1)");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, false, -0.1), "dropout_p must be in [0, 1)");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q, k, v, false, 0.0, std::nan("")), "scale must be finite");
  EXPECT_EMBER_ERROR(scaled_dot_product_attention(q.to(kInt64), k.to(kInt64), v.to(kInt64)), "query");
}
