// Backend cases for the recurrent layers: lstm_layer and gru_layer (forward and reverse, with
// and without initial state and biases, float32 and float64) with the gradients of every
// operand, and the LSTM/GRU modules (two layers, bidirectional, batch_first).
#include "harness/backend_cases.h"

namespace ember::test {
namespace {

/// One layer on d: output, h_n (and c_n) with the gradients of x, h0, (c0), the weights and biases.
std::vector<Tensor> layer_case(const Device& d, bool lstm, bool reverse, bool state, bool bias, uint64_t seed,
                               DType t = DType::Float32) {
  const int64_t T = 5, B = 3, I = 4, H = 6, G = lstm ? 4 : 3;
  Tensor x = input_on(d, {T, B, I}, seed, true, t);
  Tensor h0 = state ? input_on(d, {B, H}, seed + 1, true, t) : Tensor();
  Tensor c0 = state && lstm ? input_on(d, {B, H}, seed + 2, true, t) : Tensor();
  Tensor w_ih = input_on(d, {G * H, I}, seed + 3, true, t, -0.5, 0.5);
  Tensor w_hh = input_on(d, {G * H, H}, seed + 4, true, t, -0.5, 0.5);
  Tensor b_ih = bias ? input_on(d, {G * H}, seed + 5, true, t) : Tensor();
  Tensor b_hh = bias ? input_on(d, {G * H}, seed + 6, true, t) : Tensor();
  std::vector<Tensor> parts, inputs{x, w_ih, w_hh};
  if (lstm) {
    LstmResult r = lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);
    parts = {r.output.flatten(), r.h_n.flatten(), r.c_n.flatten()};
  } else {
    GruResult r = gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh, reverse);
    parts = {r.output.flatten(), r.h_n.flatten()};
  }
  for (const Tensor& s : {h0, c0, b_ih, b_hh})
    if (s.defined()) inputs.push_back(s);
  return with_grads(cat(parts, 0), inputs);
}

/// A two-layer bidirectional batch_first module on d: output and state, and every gradient.
template <class M>
std::vector<Tensor> module_case(const Device& d, uint64_t seed) {
  manual_seed(seed);
  nn::RNNOptions o;
  o.input_size = 3, o.hidden_size = 5, o.num_layers = 2, o.bidirectional = true, o.batch_first = true;
  M m(o);
  m.to(d);
  Tensor x = input_on(d, {2, 4, 3}, seed + 1, true);
  Tensor h0 = input_on(d, {4, 2, 5}, seed + 2, true);
  auto [y, s] = m.forward_with_state(x, {h0});
  std::vector<Tensor> inputs{x, h0};
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  return with_grads(cat({y.flatten(), s.h.flatten()}, 0), inputs);
}

}  // namespace

std::vector<BackendCase> rnn_cases() {
  std::vector<BackendCase> v;
  v.push_back({"lstm_layer", [](const Device& d) { return layer_case(d, true, false, true, true, 1101); }});
  v.push_back({"lstm_layer_reverse_no_state",
               [](const Device& d) { return layer_case(d, true, true, false, true, 1111); }});
  v.push_back({"lstm_layer_no_bias_float64",
               [](const Device& d) { return layer_case(d, true, false, true, false, 1121, DType::Float64); },
               1e-10, 1e-10});
  v.push_back({"gru_layer", [](const Device& d) { return layer_case(d, false, false, true, true, 1131); }});
  v.push_back({"gru_layer_reverse_no_state",
               [](const Device& d) { return layer_case(d, false, true, false, true, 1141); }});
  v.push_back({"gru_layer_float64",
               [](const Device& d) { return layer_case(d, false, true, true, true, 1151, DType::Float64); }, 1e-10,
               1e-10});
  v.push_back({"lstm_module_bidirectional", [](const Device& d) { return module_case<nn::LSTM>(d, 1161); }});
  v.push_back({"gru_module_bidirectional", [](const Device& d) { return module_case<nn::GRU>(d, 1171); }});
  return v;
}

}  // namespace ember::test
