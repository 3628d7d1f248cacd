// Recurrent modules LSTM and GRU, as torch.nn.LSTM / torch.nn.GRU: the same options, parameter
// names, shapes, initialisation and maths; each layer and direction is one lstm_layer /
// gru_layer op (ember/ops/rnn.h).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "ember/nn/module.h"

namespace ember::nn {

struct RNNOptions {
  int64_t input_size = 0, hidden_size = 0, num_layers = 1;
  bool bias = true, batch_first = false;
  double dropout = 0;  // on every layer's output but the last's, in training mode
  bool bidirectional = false;
};

/// What LSTM and GRU share: options, parameters and the input/state checks. Parameters, in
/// PyTorch's order, for each layer k and direction (suffix "_reverse" for the backward one):
/// weight_ih_l{k} (G*H, I_k), weight_hh_l{k} (G*H, H), and with bias bias_ih_l{k}, bias_hh_l{k}
/// (G*H), where G is 4 (LSTM) or 3 (GRU), H hidden_size, I_0 input_size and I_k = D*H after,
/// D = 2 when bidirectional else 1. All float32, drawn from U(-1/sqrt(H), 1/sqrt(H)) with the
/// default generator. Requires input_size, hidden_size, num_layers >= 1 and dropout in [0, 1].
class RNNBase : public Module {
 public:
  const RNNOptions& options() const { return opt_; }
  /// Re-draws every parameter with the default initialisation.
  void reset_parameters();
  std::string extra_repr() const override;
  /// The number of directions D (1 or 2).
  int64_t num_directions() const { return opt_.bidirectional ? 2 : 1; }

 protected:
  RNNBase(const std::string& type, int64_t gates, const RNNOptions& o);
  /// Layer k, direction d's (w_ih, w_hh, b_ih, b_hh), biases undefined without bias.
  std::vector<Tensor> layer_params(int64_t k, int64_t d) const;
  /// x as (T,B,I) (batch_first and unbatched (T,I) inputs rearranged) after checking its
  /// feature size; *unbatched says whether it was 2-D.
  Tensor time_major(const Tensor& x, bool* unbatched) const;
  /// A state tensor (L*D,B,H) for input batch B (unbatched: (L*D,H), returned as (L*D,1,H)),
  /// or undefined; `what` names it in errors ("h0", "c0").
  Tensor check_state(const char* what, const Tensor& s, int64_t B, bool unbatched) const;
  /// The output (T,B,D*H) put back in the caller's layout.
  Tensor caller_layout(const Tensor& out, bool unbatched) const;

  RNNOptions opt_;
  int64_t gates_;
};

/// Long short-term memory, gate order i,f,g,o: c' = f*c + i*g, h' = o*tanh(c').
class LSTM : public RNNBase {
 public:
  explicit LSTM(const RNNOptions& o);
  struct State {
    Tensor h, c;  // (L*D,B,H) each; undefined = zeros
  };
  /// x (T,B,I), (B,T,I) with batch_first, or unbatched (T,I); s0's h and c (L*D,B,H) (unbatched:
  /// (L*D,H)) or undefined. Returns the output (T,B,D*H) ((B,T,D*H) with batch_first, (T,D*H)
  /// unbatched) and the final state (h_n, c_n) shaped as s0's. Throws ember::Error naming the
  /// mismatch for a wrong input size or state shape.
  std::pair<Tensor, State> forward_with_state(const Tensor& x, const State& s0 = {});
  /// The output of forward_with_state(x).
  Tensor forward(const Tensor& x) override;
};

/// Gated recurrent unit, gate order r,z,n: n = tanh(W_in x + b_in + r*(W_hn h + b_hn)),
/// h' = (1-z)*n + z*h.
class GRU : public RNNBase {
 public:
  explicit GRU(const RNNOptions& o);
  struct State {
    Tensor h;  // (L*D,B,H); undefined = zeros
  };
  /// As LSTM::forward_with_state, with h only.
  std::pair<Tensor, State> forward_with_state(const Tensor& x, const State& s0 = {});
  Tensor forward(const Tensor& x) override;
};

}  // namespace ember::nn
