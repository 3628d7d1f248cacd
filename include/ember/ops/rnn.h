// Recurrent layers as ops: one LSTM or GRU layer in one direction over a whole sequence, as one
// autograd node (PyTorch's maths, gate order and shapes). nn::LSTM / nn::GRU stack them.
#pragma once
#include "ember/tensor.h"

namespace ember {

struct LstmResult {
  Tensor output, h_n, c_n;  // output (T,B,H); h_n, c_n (B,H)
};
/// One LSTM layer, one direction, whole sequence, as ONE autograd node.
/// x (T,B,I) floating; h0, c0 (B,H) (undefined = zeros); w_ih (4H,I), w_hh (4H,H),
/// b_ih, b_hh (4H) or undefined. Gate order i,f,g,o (PyTorch). reverse: runs t = T-1..0.
/// Requires T, B >= 1, every operand of x's dtype and device; throws ember::Error naming the
/// operand and both shapes otherwise. Differentiable in x, h0, c0 and every weight. Under
/// autocast, 16-bit operands run in float32 (the result is float32).
LstmResult lstm_layer(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh,
                      const Tensor& b_ih, const Tensor& b_hh, bool reverse = false);

struct GruResult {
  Tensor output, h_n;  // output (T,B,H); h_n (B,H)
};
/// Same for GRU, gate order r,z,n; n = tanh(W_in x + b_in + r*(W_hn h + b_hn)) as PyTorch.
/// w_ih (3H,I), w_hh (3H,H), b_ih, b_hh (3H) or undefined; same requirements as lstm_layer.
GruResult gru_layer(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                    const Tensor& b_hh, bool reverse = false);

}  // namespace ember
