// Shared pieces of the recurrent layer ops (ops/lstm.cpp, ops/gru.cpp): operand checks, GEMMs
// into views through the device's matmul kernel, the time order of a direction, the
// recurrent-weight gradient as one GEMM, and the composed layers used where a device lacks the
// fused gate kernels (core/kernels/rnn.h).
#pragma once
#include <cstdint>

#include "ember/ops/rnn.h"

namespace ember::rnn_util {

struct LayerDims {
  int64_t T, B, I, H;
};

/// Checks one layer's operands for `gates` gates (4 LSTM, 3 GRU): x (T,B,I) floating with
/// T, B >= 1; w_ih (gates*H, I); w_hh (gates*H, H); b_ih, b_hh (gates*H) or undefined; h0 and,
/// when c0 is non-null, *c0 (B,H) or undefined; one dtype and device. Throws ember::Error
/// naming op, the operand and the shapes.
LayerDims check_layer(const char* op, int64_t gates, const Tensor& x, const Tensor& h0, const Tensor* c0,
                      const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh);

/// c = a @ b + bias + beta * c through c's device's matmul kernel, no autograd. a (M,K),
/// b (K,N), c (M,N) of one dtype and device, any strides (c dense, not overlapping a or b);
/// bias (N) or undefined. beta 0 does not read c.
void gemm_into(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& bias = Tensor(), double beta = 0);
/// A new (M,N) tensor a @ b.
Tensor gemm(const Tensor& a, const Tensor& b);
/// The column sums (N) of m (M,N), as one GEMM ones(1,M) @ m (the bias gradients).
Tensor column_sum(const Tensor& m);

/// The time index processed at step s (0..T-1) of a layer running forward or in reverse.
inline int64_t time_at(int64_t s, int64_t T, bool reverse) { return reverse ? T - 1 - s : s; }
/// The time index of the step processed before time t, or -1 when t is processed first.
inline int64_t time_before(int64_t t, int64_t T, bool reverse) {
  if (reverse) return t + 1 < T ? t + 1 : -1;
  return t - 1;
}

/// sum over t of d[t]^T h_{t-1}: the gradient of W_hh, (G, H), as one GEMM over the steps that
/// have a previous output plus one for the first step's h0 (skipped when has_h0 is false: h0 was
/// zeros). d (T,B,G) the pre-activation gradients of h_{t-1} W_hh^T by time; out (T,B,H) the
/// layer's outputs; h0 (B,H).
Tensor recurrent_weight_grad(const Tensor& d, const Tensor& out, const Tensor& h0, bool has_h0, bool reverse);

/// The same layers composed from linear and elementwise ops (one autograd node per op), for
/// devices without the fused gate kernels; operands already checked.
LstmResult lstm_layer_composed(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                               const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, bool reverse);
GruResult gru_layer_composed(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                             const Tensor& b_ih, const Tensor& b_hh, bool reverse);

}  // namespace ember::rnn_util
