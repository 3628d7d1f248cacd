// lstm_layer and gru_layer: float64 finite-difference gradients with respect to every operand
// (forward and reverse, with and without initial state and biases), the fused path against the
// composed one (ops/rnn_util.h), inference without autograd, autocast, and the errors for
// wrong operands.
#include "harness/op_harness.h"
#include "ops/rnn_util.h"

using namespace ember;
using namespace ember::test;

namespace {

/// One layer's float64 operands: x (T,B,I), h0, c0 (B,H), w_ih (G*H,I), w_hh (G*H,H), b_ih, b_hh.
std::vector<Tensor> operands(int64_t G, int64_t T, int64_t B, int64_t I, int64_t H, uint64_t seed) {
  return {uniform({T, B, I}, -1, 1, seed),          uniform({B, H}, -1, 1, seed + 1),
          uniform({B, H}, -1, 1, seed + 2),         uniform({G * H, I}, -0.6, 0.6, seed + 3),
          uniform({G * H, H}, -0.6, 0.6, seed + 4), uniform({G * H}, -0.5, 0.5, seed + 5),
          uniform({G * H}, -0.5, 0.5, seed + 6)};
}

Tensor flat(const std::vector<Tensor>& ts) {
  std::vector<Tensor> f;
  for (const Tensor& t : ts) f.push_back(t.flatten());
  return cat(f, 0);
}

Tensor lstm_all(const std::vector<Tensor>& v, bool reverse) {
  LstmResult r = lstm_layer(v[0], v[1], v[2], v[3], v[4], v[5], v[6], reverse);
  return flat({r.output, r.h_n, r.c_n});
}

Tensor gru_all(const std::vector<Tensor>& v, bool reverse) {
  GruResult r = gru_layer(v[0], v[1], v[3], v[4], v[5], v[6], reverse);
  return flat({r.output, r.h_n});
}

}  // namespace

TEST(LstmLayer, GradcheckEveryOperand) {
  for (bool reverse : {false, true}) {
    SCOPED_TRACE(reverse ? "reverse" : "forward");
    EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return lstm_all(v, reverse); }, operands(4, 4, 3, 2, 3, 11));
  }
}

TEST(LstmLayer, GradcheckWithoutStateOrBias) {
  for (bool reverse : {false, true}) {
    SCOPED_TRACE(reverse ? "reverse" : "forward");
    std::vector<Tensor> v = operands(4, 3, 2, 3, 2, 21);
    EXPECT_GRADCHECK(
        [&](const std::vector<Tensor>& a) {
          LstmResult r = lstm_layer(a[0], Tensor(), Tensor(), a[1], a[2], Tensor(), Tensor(), reverse);
          return flat({r.output, r.h_n, r.c_n});
        },
        {v[0], v[3], v[4]});
    // Only h_n used: the output's gradient is undefined inside the node.
    EXPECT_GRADCHECK(
        [&](const std::vector<Tensor>& a) {
          return lstm_layer(a[0], a[1], Tensor(), a[2], a[3], a[4], Tensor(), reverse).h_n;
        },
        {v[0], v[1], v[3], v[4], v[5]});
  }
}

TEST(LstmLayer, SingleStep) {
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return lstm_all(v, false); }, operands(4, 1, 2, 3, 2, 31));
}

TEST(GruLayer, GradcheckEveryOperand) {
  for (bool reverse : {false, true}) {
    SCOPED_TRACE(reverse ? "reverse" : "forward");
    EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return gru_all(v, reverse); }, operands(3, 4, 3, 2, 3, 41),
                     1e-6, 1e-5, 1e-4, {0, 1, 3, 4, 5, 6});
  }
}

TEST(GruLayer, GradcheckWithoutStateOrBias) {
  for (bool reverse : {false, true}) {
    SCOPED_TRACE(reverse ? "reverse" : "forward");
    std::vector<Tensor> v = operands(3, 3, 2, 3, 2, 51);
    EXPECT_GRADCHECK(
        [&](const std::vector<Tensor>& a) {
          GruResult r = gru_layer(a[0], Tensor(), a[1], a[2], Tensor(), Tensor(), reverse);
          return flat({r.output, r.h_n});
        },
        {v[0], v[3], v[4]});
    EXPECT_GRADCHECK(
        [&](const std::vector<Tensor>& a) { return gru_layer(a[0], a[1], a[2], a[3], Tensor(), a[4], reverse).h_n; },
        {v[0], v[1], v[3], v[4], v[6]});
  }
}

// The fused path (gate kernels) and the composed one (separate ops) agree, values and gradients.
TEST(RnnLayers, FusedMatchesComposed) {
  for (bool lstm : {true, false})
    for (bool reverse : {false, true}) {
      SCOPED_TRACE(std::string(lstm ? "lstm" : "gru") + (reverse ? " reverse" : ""));
      std::vector<Tensor> v = operands(lstm ? 4 : 3, 5, 3, 4, 6, 61);
      auto run = [&](bool fused) {
        std::vector<Tensor> a;
        for (const Tensor& t : v) a.push_back(t.clone().set_requires_grad());
        Tensor y;
        if (lstm) {
          LstmResult r = fused ? lstm_layer(a[0], a[1], a[2], a[3], a[4], a[5], a[6], reverse)
                               : rnn_util::lstm_layer_composed(a[0], a[1], a[2], a[3], a[4], a[5], a[6], reverse);
          y = flat({r.output, r.h_n, r.c_n});
        } else {
          GruResult r = fused ? gru_layer(a[0], a[1], a[3], a[4], a[5], a[6], reverse)
                              : rnn_util::gru_layer_composed(a[0], a[1], a[3], a[4], a[5], a[6], reverse);
          y = flat({r.output, r.h_n});
        }
        sum(mul(y, uniform(y.shape(), -1, 1, 99))).backward();
        std::vector<Tensor> out{y.detach()};
        for (size_t i = 0; i < a.size(); ++i)
          if (lstm || i != 2) out.push_back(a[i].grad());
        return out;
      };
      std::vector<Tensor> f = run(true), c = run(false);
      ASSERT_EQ(f.size(), c.size());
      for (size_t i = 0; i < f.size(); ++i) EXPECT_ALLCLOSE(f[i], c[i], 1e-12, 1e-12) << "result " << i;
    }
}

TEST(RnnLayers, InferenceAndFloat32) {
  std::vector<Tensor> v = operands(4, 6, 2, 3, 5, 71);
  LstmResult ref = lstm_layer(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
  std::vector<Tensor> f;
  for (const Tensor& t : v) f.push_back(t.to(kFloat32));
  NoGradGuard ng;
  LstmResult r = lstm_layer(f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
  EXPECT_EQ(r.output.dtype(), kFloat32);
  EXPECT_FALSE(r.output.requires_grad());
  EXPECT_ALLCLOSE(r.output.to(kFloat64), ref.output, 1e-5, 1e-6);
  GruResult g64 = gru_layer(v[0], v[1], v[3].slice(0, 0, 15), v[4].slice(0, 0, 15), Tensor(), Tensor());
  GruResult g32 = gru_layer(f[0], f[1], f[3].slice(0, 0, 15), f[4].slice(0, 0, 15), Tensor(), Tensor());
  EXPECT_ALLCLOSE(g32.h_n.to(kFloat64), g64.h_n, 1e-5, 1e-6);
}

// Under autocast, bfloat16 operands run in float32: the result is float32 and equals the float32
// layer on the same (rounded) values.
TEST(RnnLayers, AutocastRunsInFloat32) {
  std::vector<Tensor> v = operands(4, 3, 2, 3, 4, 81);
  std::vector<Tensor> b, f;
  for (const Tensor& t : v) b.push_back(t.to(kBFloat16)), f.push_back(t.to(kBFloat16).to(kFloat32));
  LstmResult want = lstm_layer(f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
  amp::AutocastGuard ac(kBFloat16);
  LstmResult got = lstm_layer(b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
  EXPECT_EQ(got.output.dtype(), kFloat32);
  EXPECT_ALLCLOSE(got.output, want.output, 1e-6, 1e-7);
  GruResult g = gru_layer(b[0], b[1], b[3].slice(0, 0, 12), b[4].slice(0, 0, 12), b[5].slice(0, 0, 12), Tensor());
  EXPECT_EQ(g.output.dtype(), kFloat32);
}

TEST(RnnLayers, ClearErrors) {
  std::vector<Tensor> v = operands(4, 3, 2, 3, 4, 91);
  const Tensor& x = v[0];
  auto lstm = [&](const Tensor& xx, const Tensor& h0, const Tensor& c0, const Tensor& wih, const Tensor& whh,
                  const Tensor& bih) { return lstm_layer(xx, h0, c0, wih, whh, bih, Tensor()); };
  EXPECT_EMBER_ERROR(lstm(uniform({3, 2, 5}), v[1], v[2], v[3], v[4], v[5]), "lstm_layer", "input size mismatch",
                     "[3,2,5]", "[16,3]");
  EXPECT_EMBER_ERROR(lstm(x, uniform({3, 4}), v[2], v[3], v[4], v[5]), "lstm_layer", "h0 must be [2,4]", "[3,4]");
  EXPECT_EMBER_ERROR(lstm(x, v[1], uniform({2, 5}), v[3], v[4], v[5]), "lstm_layer", "c0 must be [2,4]");
  EXPECT_EMBER_ERROR(lstm(x, v[1], v[2], v[3], uniform({12, 4}), v[5]), "lstm_layer", "w_hh must be (4*H, H)",
                     "[12,4]");
  EXPECT_EMBER_ERROR(lstm(x, v[1], v[2], uniform({12, 3}), v[4], v[5]), "lstm_layer", "w_ih must be (16, I)");
  EXPECT_EMBER_ERROR(lstm(x, v[1], v[2], v[3], v[4], uniform({15})), "lstm_layer", "b_ih must be [16]");
  EXPECT_EMBER_ERROR(lstm(x.select(0, 0), v[1], v[2], v[3], v[4], v[5]), "lstm_layer", "input must be (T,B,I)");
  EXPECT_EMBER_ERROR(lstm(x.slice(0, 0, 0), v[1], v[2], v[3], v[4], v[5]), "T and B must be >= 1");
  EXPECT_EMBER_ERROR(lstm(x, v[1].to(kFloat32), v[2], v[3], v[4], v[5]), "h0 is float32 but the input is float64");
  EXPECT_EMBER_ERROR(lstm(x, v[1], v[2], Tensor(), v[4], v[5]), "lstm_layer", "w_ih is an undefined tensor");
  EXPECT_EMBER_ERROR(gru_layer(x, v[1], v[3], v[4], Tensor(), Tensor()), "gru_layer", "w_hh must be (3*H, H)");
  EXPECT_EMBER_ERROR(gru_layer(x, uniform({2, 5}), v[3].slice(0, 0, 12), v[4].slice(0, 0, 12), Tensor(), Tensor()),
                     "gru_layer", "h0 must be [2,4]");
}
