// nn::LSTM and nn::GRU against torch.nn.LSTM / torch.nn.GRU (PyTorch 1.13): the fixtures
// (tests/nn/fixtures/make_rnn_fixtures.py) hold each module's parameters, an input, an initial
// state, PyTorch's outputs and the gradients of sum(output*w) + sum(h_n*w2) [+ sum(c_n*w3)] with
// respect to the input, the initial state and every parameter. ember loads the parameters by
// their PyTorch names and must agree in float32 to 1e-5 relative, with PyTorch's parameter order
// and repr.
#include <string>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

io::SafetensorsFile fixture(const std::string& name) {
  return io::load_safetensors(std::string(EMBER_TEST_SOURCE_DIR) + "/nn/fixtures/rnn_" + name + ".safetensors");
}

/// Builds the module, loads the fixture's parameters (strictly: names must be PyTorch's) and
/// checks the forward and every gradient against PyTorch's.
template <class M>
void check_against_pytorch(const std::string& name, const nn::RNNOptions& o) {
  SCOPED_TRACE(name);
  io::SafetensorsFile f = fixture(name);
  auto& t = f.tensors;
  M m(o);
  std::map<std::string, Tensor> params;
  std::vector<std::string> order;
  for (const auto& [n, p] : m.named_parameters()) {
    ASSERT_TRUE(t.count(n)) << "PyTorch has no parameter " << n;
    params[n] = t.at(n);
    order.push_back(n);
  }
  int64_t fixture_params = 0;
  for (const auto& [n, v] : t)
    if (n.rfind("weight_", 0) == 0 || n.rfind("bias_", 0) == 0) ++fixture_params;
  EXPECT_EQ(static_cast<int64_t>(order.size()), fixture_params) << "parameter count differs from PyTorch's";
  m.load_state_dict(params);
  EXPECT_EQ(m.repr(), f.metadata.at("repr"));

  Tensor x = t.at("x").clone().set_requires_grad(), h0 = t.at("h0").clone().set_requires_grad();
  constexpr bool lstm = std::is_same_v<M, nn::LSTM>;
  Tensor c0 = lstm ? t.at("c0").clone().set_requires_grad() : Tensor();
  Tensor out, h_n, c_n;
  if constexpr (lstm) {
    auto [y, s] = m.forward_with_state(x, {h0, c0});
    out = y, h_n = s.h, c_n = s.c;
  } else {
    auto [y, s] = m.forward_with_state(x, {h0});
    out = y, h_n = s.h;
  }
  EXPECT_ALLCLOSE(out, t.at("output"), 1e-5, 1e-6);
  EXPECT_ALLCLOSE(h_n, t.at("h_n"), 1e-5, 1e-6);
  Tensor loss = add(sum(mul(out, t.at("w"))), sum(mul(h_n, t.at("w2"))));
  if (lstm) {
    EXPECT_ALLCLOSE(c_n, t.at("c_n"), 1e-5, 1e-6);
    loss = add(loss, sum(mul(c_n, t.at("w3"))));
  }
  loss.backward();
  EXPECT_ALLCLOSE(x.grad(), t.at("grad.x"), 1e-5, 1e-6);
  EXPECT_ALLCLOSE(h0.grad(), t.at("grad.h0"), 1e-5, 1e-6);
  if (lstm) {
    EXPECT_ALLCLOSE(c0.grad(), t.at("grad.c0"), 1e-5, 1e-6);
  }
  for (const auto& [n, p] : m.named_parameters()) {
    SCOPED_TRACE(n);
    EXPECT_ALLCLOSE(p.grad(), t.at("grad." + n), 1e-5, 1e-6);
  }
}

nn::RNNOptions opts(int64_t in, int64_t hidden, int64_t layers) {
  nn::RNNOptions o;
  o.input_size = in, o.hidden_size = hidden, o.num_layers = layers;
  return o;
}

}  // namespace

TEST(RnnPyTorch, LstmTwoLayersBatchFirst) {
  nn::RNNOptions o = opts(5, 7, 2);
  o.batch_first = true;
  check_against_pytorch<nn::LSTM>("lstm_2layer_batch_first", o);
}

TEST(RnnPyTorch, LstmBidirectionalTwoLayers) {
  nn::RNNOptions o = opts(5, 6, 2);
  o.bidirectional = true;
  check_against_pytorch<nn::LSTM>("lstm_bidirectional", o);
}

TEST(RnnPyTorch, LstmWithoutBias) {
  nn::RNNOptions o = opts(4, 5, 1);
  o.bias = false;
  check_against_pytorch<nn::LSTM>("lstm_no_bias", o);
}

TEST(RnnPyTorch, GruTwoLayers) { check_against_pytorch<nn::GRU>("gru_2layer", opts(4, 6, 2)); }

TEST(RnnPyTorch, GruBidirectionalBatchFirst) {
  nn::RNNOptions o = opts(3, 5, 1);
  o.bidirectional = true;
  o.batch_first = true;
  check_against_pytorch<nn::GRU>("gru_bidirectional_batch_first", o);
}
