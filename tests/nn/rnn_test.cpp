// nn::LSTM and nn::GRU (PyTorch agreement itself: rnn_pytorch_test.cpp): parameter names,
// shapes and initialisation, input layouts (batch_first, unbatched), state shapes, dropout
// between layers, float64 gradient checks of the input and every parameter, reprs and errors.
#include "harness/module_gradcheck.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;
using nn::GRU;
using nn::LSTM;
using nn::RNNOptions;

namespace {
RNNOptions opts(int64_t in, int64_t hidden, int64_t layers = 1, bool bidirectional = false) {
  RNNOptions o;
  o.input_size = in, o.hidden_size = hidden, o.num_layers = layers, o.bidirectional = bidirectional;
  return o;
}
}  // namespace

TEST(RnnModules, ParameterNamesShapesAndInit) {
  manual_seed(1);
  LSTM m(opts(3, 4, 2, true));
  std::vector<std::pair<std::string, Shape>> want = {
      {"weight_ih_l0", {16, 3}},         {"weight_hh_l0", {16, 4}},         {"bias_ih_l0", {16}},
      {"bias_hh_l0", {16}},              {"weight_ih_l0_reverse", {16, 3}}, {"weight_hh_l0_reverse", {16, 4}},
      {"bias_ih_l0_reverse", {16}},      {"bias_hh_l0_reverse", {16}},      {"weight_ih_l1", {16, 8}},
      {"weight_hh_l1", {16, 4}},         {"bias_ih_l1", {16}},              {"bias_hh_l1", {16}},
      {"weight_ih_l1_reverse", {16, 8}}, {"weight_hh_l1_reverse", {16, 4}}, {"bias_ih_l1_reverse", {16}},
      {"bias_hh_l1_reverse", {16}}};
  std::vector<std::pair<std::string, Shape>> got;
  for (const auto& [n, p] : m.named_parameters()) {
    got.emplace_back(n, p.shape());
    EXPECT_EQ(p.dtype(), kFloat32);
    EXPECT_LE(max(abs(p)).item(), 0.5) << n;  // U(-1/sqrt(4), 1/sqrt(4))
    EXPECT_GT(max(abs(p)).item(), 0.3) << n;
  }
  EXPECT_EQ(got, want);
  RNNOptions o = opts(5, 6);
  o.bias = false;
  GRU g(o);
  ASSERT_EQ(g.named_parameters().size(), 2u);
  EXPECT_EQ(g.named_parameters()[0].first, "weight_ih_l0");
  EXPECT_EQ(g.named_parameters()[0].second.shape(), (Shape{18, 5}));
  EXPECT_EQ(g.num_parameters(), 18 * 5 + 18 * 6);
}

TEST(RnnModules, LayoutsAndStateShapes) {
  manual_seed(2);
  LSTM m(opts(3, 4, 2, true));
  Tensor x = uniform({5, 2, 3}, -1, 1, 3).to(kFloat32);  // (T,B,I)
  auto [y, s] = m.forward_with_state(x);
  EXPECT_EQ(y.shape(), (Shape{5, 2, 8}));
  EXPECT_EQ(s.h.shape(), (Shape{4, 2, 4}));
  EXPECT_EQ(s.c.shape(), (Shape{4, 2, 4}));
  EXPECT_ALLCLOSE(m.forward(x), y, 0, 0);
  // The last layer's forward direction ends at t = T-1, its reverse direction at t = 0.
  EXPECT_ALLCLOSE(s.h.select(0, 2), y.select(0, 4).slice(1, 0, 4), 0, 0);
  EXPECT_ALLCLOSE(s.h.select(0, 3), y.select(0, 0).slice(1, 4, 8), 0, 0);
  // Unbatched (T,I) is batch row 0 of the batched run.
  auto [yu, su] = m.forward_with_state(x.select(1, 0), {s.h.select(1, 0) * 0.0, Tensor()});
  EXPECT_EQ(yu.shape(), (Shape{5, 8}));
  EXPECT_EQ(su.h.shape(), (Shape{4, 4}));
  EXPECT_ALLCLOSE(yu, y.select(1, 0), 1e-6, 1e-7);
  // batch_first takes (B,T,I) and returns (B,T,D*H), the same numbers.
  RNNOptions o = m.options();
  o.batch_first = true;
  LSTM mb(o);
  mb.load_state_dict(m.state_dict());
  Tensor yb = mb.forward(x.transpose(0, 1).contiguous());
  EXPECT_ALLCLOSE(yb, y.transpose(0, 1), 1e-6, 1e-7);
  // A given initial state changes the result.
  Tensor h0 = uniform({4, 2, 4}, -1, 1, 4).to(kFloat32);
  EXPECT_FALSE(allclose(m.forward_with_state(x, {h0, Tensor()}).first, y, 1e-3, 1e-3));
  GRU g(opts(3, 4, 3));
  auto [gy, gs] = g.forward_with_state(x, {uniform({3, 2, 4}, -1, 1, 5).to(kFloat32)});
  EXPECT_EQ(gy.shape(), (Shape{5, 2, 4}));
  EXPECT_EQ(gs.h.shape(), (Shape{3, 2, 4}));
  EXPECT_ALLCLOSE(gs.h.select(0, 2), gy.select(0, 4), 0, 0);
}

TEST(RnnModules, DropoutBetweenLayersInTrainingOnly) {
  manual_seed(3);
  RNNOptions o = opts(3, 8, 2);
  o.dropout = 0.5;
  LSTM m(o);
  RNNOptions o0 = o;
  o0.dropout = 0;
  LSTM plain(o0);
  plain.load_state_dict(m.state_dict());
  Tensor x = uniform({4, 3, 3}, -1, 1, 6).to(kFloat32);
  Tensor ref = plain.forward(x);
  EXPECT_FALSE(allclose(m.forward(x), ref, 1e-3, 1e-3));  // training: layer 0's output dropped
  m.eval();
  EXPECT_ALLCLOSE(m.forward(x), ref, 0, 0);
  // One layer: nothing between layers, so dropout never applies.
  RNNOptions o1 = opts(3, 8, 1);
  o1.dropout = 0.5;
  GRU g(o1);
  Tensor a = g.forward(x);
  EXPECT_ALLCLOSE(g.forward(x), a, 0, 0);
}

TEST(RnnModules, GradcheckFloat64) {
  manual_seed(4);
  LSTM lstm(opts(2, 3, 2, true));
  lstm.to(kFloat64);
  Tensor x = uniform({3, 2, 2}, -1, 1, 7);
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return lstm.forward(v[0]); }, {x});
  EXPECT_TRUE(check_param_grads(lstm, x));
  Tensor h0 = uniform({4, 2, 3}, -1, 1, 8), c0 = uniform({4, 2, 3}, -1, 1, 9);
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& v) {
        auto [y, s] = lstm.forward_with_state(v[0], {v[1], v[2]});
        return cat({y.flatten(), s.h.flatten(), s.c.flatten()}, 0);
      },
      {x, h0, c0});
  RNNOptions o = opts(2, 3, 2);
  o.batch_first = true;
  GRU gru(o);
  gru.to(kFloat64);
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return gru.forward(v[0]); }, {x});
  EXPECT_TRUE(check_param_grads(gru, x));
  GRU bi(opts(2, 3, 1, true));
  bi.to(kFloat64);
  EXPECT_TRUE(check_param_grads(bi, x));
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& v) {
        auto [y, s] = bi.forward_with_state(v[0], {v[1]});
        return cat({y.flatten(), s.h.flatten()}, 0);
      },
      {x, uniform({2, 2, 3}, -1, 1, 10)});
}

TEST(RnnModules, Reprs) {
  EXPECT_EQ(LSTM(opts(10, 20)).repr(), "LSTM(10, 20)");
  RNNOptions o = opts(10, 20, 2, true);
  o.bias = false, o.batch_first = true, o.dropout = 0.25;
  EXPECT_EQ(LSTM(o).repr(), "LSTM(10, 20, num_layers=2, bias=False, batch_first=True, dropout=0.25, bidirectional=True)");
  EXPECT_EQ(GRU(opts(3, 4, 3)).repr(), "GRU(3, 4, num_layers=3)");
}

TEST(RnnModules, ClearErrors) {
  LSTM m(opts(3, 4, 2));
  Tensor x = zeros({5, 2, 3});
  EXPECT_EMBER_ERROR(m.forward(zeros({5, 2, 7})), "LSTM.forward", "input size mismatch", "input_size=3", "[5,2,7]");
  EXPECT_EMBER_ERROR(m.forward(zeros({5, 2, 3, 1})), "LSTM.forward", "(T,B,I)", "[5,2,3,1]");
  EXPECT_EMBER_ERROR(m.forward_with_state(x, {zeros({2, 3, 4}), Tensor()}), "LSTM.forward", "h0 must be", "[2,2,4]",
                     "[2,3,4]");
  EXPECT_EMBER_ERROR(m.forward_with_state(x, {Tensor(), zeros({1, 2, 4})}), "c0 must be", "[2,2,4]");
  EXPECT_EMBER_ERROR(m.forward_with_state(x.select(1, 0), {zeros({2, 2, 4}), Tensor()}), "h0 must be", "[2,4]");
  GRU g(opts(3, 4));
  EXPECT_EMBER_ERROR(g.forward_with_state(x, {zeros({1, 2, 5})}), "GRU.forward", "h0 must be", "[1,2,4]");
  EXPECT_EMBER_ERROR(GRU(opts(0, 4)), "GRU", "input_size");
  RNNOptions bad = opts(3, 4);
  bad.dropout = 1.5;
  EXPECT_EMBER_ERROR(LSTM(bad), "LSTM", "dropout must be in [0, 1]");
}
