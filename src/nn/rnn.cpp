// LSTM and GRU modules: PyTorch's parameters and checks around the per-layer ops; layers stack
// (each direction's outputs concatenated along features), with dropout between them in training.
#include "ember/nn/rnn.h"

#include <cmath>

#include "ember/nn/init.h"
#include "ember/ops/norm.h"
#include "ember/ops/rnn.h"
#include "ember/ops/shape.h"
#include "nn/repr.h"

namespace ember::nn {

namespace {
std::string suffix(int64_t k, int64_t d) { return "_l" + std::to_string(k) + (d == 1 ? "_reverse" : ""); }
}  // namespace

RNNBase::RNNBase(const std::string& type, int64_t gates, const RNNOptions& o) : Module(type), opt_(o), gates_(gates) {
  EMBER_CHECK(o.input_size >= 1 && o.hidden_size >= 1 && o.num_layers >= 1, type,
              ": input_size, hidden_size and num_layers must be >= 1, got ", o.input_size, ", ", o.hidden_size, " and ",
              o.num_layers);
  EMBER_CHECK(o.dropout >= 0 && o.dropout <= 1, type, ": dropout must be in [0, 1], got ", o.dropout);
  const int64_t H = o.hidden_size, D = num_directions();
  for (int64_t k = 0; k < o.num_layers; ++k)
    for (int64_t d = 0; d < D; ++d) {
      const int64_t in = k == 0 ? o.input_size : D * H;
      register_parameter("weight_ih" + suffix(k, d), empty({gates * H, in}));
      register_parameter("weight_hh" + suffix(k, d), empty({gates * H, H}));
      if (o.bias) {
        register_parameter("bias_ih" + suffix(k, d), empty({gates * H}));
        register_parameter("bias_hh" + suffix(k, d), empty({gates * H}));
      }
    }
  reset_parameters();
}

void RNNBase::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(opt_.hidden_size));
  for (const Tensor& p : parameters(false)) init::uniform_(p, -bound, bound);
}

std::vector<Tensor> RNNBase::layer_params(int64_t k, int64_t d) const {
  const std::string s = suffix(k, d);
  return {parameter("weight_ih" + s), parameter("weight_hh" + s), opt_.bias ? parameter("bias_ih" + s) : Tensor(),
          opt_.bias ? parameter("bias_hh" + s) : Tensor()};
}

Tensor RNNBase::time_major(const Tensor& x, bool* unbatched) const {
  EMBER_CHECK(x.defined(), name(), ".forward: undefined input");
  EMBER_CHECK(x.dim() == 2 || x.dim() == 3, name(), ".forward: expected input ",
              opt_.batch_first ? "(B,T,I)" : "(T,B,I)", " or unbatched (T,I), got ", shape_str(x.shape()));
  EMBER_CHECK(x.size(-1) == opt_.input_size, name(), ".forward: input size mismatch: input_size=", opt_.input_size,
              " but the input ", shape_str(x.shape()), " has ", x.size(-1), " features");
  *unbatched = x.dim() == 2;
  if (*unbatched) return x.unsqueeze(1);
  return opt_.batch_first ? x.transpose(0, 1) : x;
}

Tensor RNNBase::check_state(const char* what, const Tensor& s, int64_t B, bool unbatched) const {
  if (!s.defined()) return s;
  const int64_t LD = opt_.num_layers * num_directions();
  const Shape want = unbatched ? Shape{LD, opt_.hidden_size} : Shape{LD, B, opt_.hidden_size};
  EMBER_CHECK(s.shape() == want, name(), ".forward: ", what, " must be (num_layers*num_directions, ",
              unbatched ? "" : "B, ", "hidden_size) = ", shape_str(want), ", got ", shape_str(s.shape()));
  return unbatched ? s.unsqueeze(1) : s;
}

Tensor RNNBase::caller_layout(const Tensor& out, bool unbatched) const {
  if (unbatched) return out.squeeze(1);
  return opt_.batch_first ? out.transpose(0, 1) : out;
}

std::string RNNBase::extra_repr() const {
  std::string s = std::to_string(opt_.input_size) + ", " + std::to_string(opt_.hidden_size);
  if (opt_.num_layers != 1) s += ", num_layers=" + std::to_string(opt_.num_layers);
  if (!opt_.bias) s += ", bias=False";
  if (opt_.batch_first) s += ", batch_first=True";
  if (opt_.dropout != 0) s += ", dropout=" + detail::py_float(opt_.dropout);
  if (opt_.bidirectional) s += ", bidirectional=True";
  return s;
}

LSTM::LSTM(const RNNOptions& o) : RNNBase("LSTM", 4, o) {}

std::pair<Tensor, LSTM::State> LSTM::forward_with_state(const Tensor& x, const State& s0) {
  bool unbatched = false;
  Tensor in = time_major(x, &unbatched);
  const int64_t B = in.size(1), D = num_directions();
  Tensor h0 = check_state("h0", s0.h, B, unbatched), c0 = check_state("c0", s0.c, B, unbatched);
  std::vector<Tensor> hs, cs;
  for (int64_t k = 0; k < opt_.num_layers; ++k) {
    std::vector<Tensor> outs;
    for (int64_t d = 0; d < D; ++d) {
      const int64_t i = k * D + d;
      std::vector<Tensor> p = layer_params(k, d);
      LstmResult r = lstm_layer(in, h0.defined() ? h0.select(0, i) : Tensor(), c0.defined() ? c0.select(0, i) : Tensor(),
                                p[0], p[1], p[2], p[3], d == 1);
      outs.push_back(r.output);
      hs.push_back(r.h_n);
      cs.push_back(r.c_n);
    }
    in = D == 1 ? outs[0] : cat(outs, 2);
    if (k + 1 < opt_.num_layers && opt_.dropout > 0 && is_training()) in = dropout(in, opt_.dropout, true);
  }
  Tensor h_n = stack(hs, 0), c_n = stack(cs, 0);
  if (unbatched) h_n = h_n.squeeze(1), c_n = c_n.squeeze(1);
  return {caller_layout(in, unbatched), State{h_n, c_n}};
}

Tensor LSTM::forward(const Tensor& x) { return forward_with_state(x).first; }

GRU::GRU(const RNNOptions& o) : RNNBase("GRU", 3, o) {}

std::pair<Tensor, GRU::State> GRU::forward_with_state(const Tensor& x, const State& s0) {
  bool unbatched = false;
  Tensor in = time_major(x, &unbatched);
  const int64_t B = in.size(1), D = num_directions();
  Tensor h0 = check_state("h0", s0.h, B, unbatched);
  std::vector<Tensor> hs;
  for (int64_t k = 0; k < opt_.num_layers; ++k) {
    std::vector<Tensor> outs;
    for (int64_t d = 0; d < D; ++d) {
      std::vector<Tensor> p = layer_params(k, d);
      GruResult r = gru_layer(in, h0.defined() ? h0.select(0, k * D + d) : Tensor(), p[0], p[1], p[2], p[3], d == 1);
      outs.push_back(r.output);
      hs.push_back(r.h_n);
    }
    in = D == 1 ? outs[0] : cat(outs, 2);
    if (k + 1 < opt_.num_layers && opt_.dropout > 0 && is_training()) in = dropout(in, opt_.dropout, true);
  }
  Tensor h_n = stack(hs, 0);
  if (unbatched) h_n = h_n.squeeze(1);
  return {caller_layout(in, unbatched), State{h_n}};
}

Tensor GRU::forward(const Tensor& x) { return forward_with_state(x).first; }

}  // namespace ember::nn
