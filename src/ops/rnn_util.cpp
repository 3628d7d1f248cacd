// Operand checks, GEMM helpers and the composed (unfused) recurrent layers (see rnn_util.h).
#include "ops/rnn_util.h"

#include <vector>

#include "core/kernels/matmul.h"
#include "core/tensor_impl.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/linalg.h"
#include "ember/ops/shape.h"
#include "ops/dispatch.h"

namespace ember::rnn_util {

namespace {
void check_operand(const char* op, const char* what, const Tensor& t, const Shape& want, const Tensor& x) {
  if (!t.defined()) return;
  EMBER_CHECK(t.shape() == want, op, ": ", what, " must be ", shape_str(want), ", got ", shape_str(t.shape()));
  EMBER_CHECK(t.dtype() == x.dtype(), op, ": ", what, " is ", dtype_name(t.dtype()), " but the input is ",
              dtype_name(x.dtype()));
}
}  // namespace

LayerDims check_layer(const char* op, int64_t gates, const Tensor& x, const Tensor& h0, const Tensor* c0,
                      const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  ops::check_defined(op, "input", x);
  ops::check_defined(op, "w_ih", w_ih);
  ops::check_defined(op, "w_hh", w_hh);
  ops::check_floating(op, "input", x);
  ops::check_same_device(op, {x, h0, c0 ? *c0 : Tensor(), w_ih, w_hh, b_ih, b_hh});
  EMBER_CHECK(x.dim() == 3, op, ": input must be (T,B,I), got ", shape_str(x.shape()));
  EMBER_CHECK(x.size(0) >= 1 && x.size(1) >= 1, op, ": input ", shape_str(x.shape()),
              " has no time steps or no batch rows (T and B must be >= 1)");
  EMBER_CHECK(w_hh.dim() == 2 && w_hh.size(0) == gates * w_hh.size(1) && w_hh.size(1) >= 1, op, ": w_hh must be (",
              gates, "*H, H), got ", shape_str(w_hh.shape()));
  const int64_t T = x.size(0), B = x.size(1), I = x.size(2), H = w_hh.size(1);
  EMBER_CHECK(w_ih.dim() == 2 && w_ih.size(0) == gates * H, op, ": w_ih must be (", gates * H, ", I) for hidden size ",
              H, ", got ", shape_str(w_ih.shape()));
  EMBER_CHECK(w_ih.size(1) == I, op, ": input size mismatch: input ", shape_str(x.shape()), " has ", I,
              " features but w_ih ", shape_str(w_ih.shape()), " expects ", w_ih.size(1));
  check_operand(op, "w_ih", w_ih, w_ih.shape(), x);
  check_operand(op, "w_hh", w_hh, w_hh.shape(), x);
  check_operand(op, "b_ih", b_ih, {gates * H}, x);
  check_operand(op, "b_hh", b_hh, {gates * H}, x);
  check_operand(op, "h0", h0, {B, H}, x);
  if (c0) check_operand(op, "c0", *c0, {B, H}, x);
  return {T, B, I, H};
}

void gemm_into(const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& bias, double beta) {
  static const ops::KernelRef<kernels::MatmulKernel> k(kernels::kMatmul);
  TensorArg ba;
  if (bias.defined()) ba = arg_of(bias);
  k(c.device())(arg_of(a), arg_of(b), arg_of(c), bias.defined() ? &ba : nullptr, 1.0, beta);
}

Tensor gemm(const Tensor& a, const Tensor& b) {
  Tensor c = make_empty({a.size(0), b.size(1)}, a.dtype(), a.device());
  gemm_into(a, b, c);
  return c;
}

Tensor column_sum(const Tensor& m) {
  Tensor ones = make_empty({1, m.size(0)}, m.dtype(), m.device());
  ones.fill_(1);
  return gemm(ones, m).reshape({m.size(1)});
}

Tensor recurrent_weight_grad(const Tensor& d, const Tensor& out, const Tensor& h0, bool has_h0, bool reverse) {
  const int64_t T = d.size(0), B = d.size(1), G = d.size(2), H = out.size(2);
  Tensor w = make_empty({G, H}, d.dtype(), d.device());
  double beta = 0;
  if (T > 1) {  // steps whose previous hidden state is an output: rows 1.. (forward) or ..T-2 (reverse)
    Tensor ds = reverse ? d.slice(0, 0, T - 1) : d.slice(0, 1, T);
    Tensor hs = reverse ? out.slice(0, 1, T) : out.slice(0, 0, T - 1);
    gemm_into(ds.reshape({(T - 1) * B, G}).t(), hs.reshape({(T - 1) * B, H}), w);
    beta = 1;
  }
  if (has_h0) {
    gemm_into(d.select(0, reverse ? T - 1 : 0).t(), h0, w, Tensor(), beta);
    beta = 1;
  }
  if (beta == 0) w.fill_(0);
  return w;
}

LstmResult lstm_layer_composed(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                               const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, bool reverse) {
  const int64_t T = x.size(0), B = x.size(1), H = w_hh.size(1);
  const TensorOptions o = TensorOptions(x.dtype()).with_device(x.device());
  Tensor h = h0.defined() ? h0 : zeros({B, H}, o), c = c0.defined() ? c0 : zeros({B, H}, o);
  Tensor xg = linear(x, w_ih, b_ih);  // (T,B,4H)
  std::vector<Tensor> outs(static_cast<size_t>(T));
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = time_at(s, T, reverse);
    Tensor g = add(xg.select(0, t), linear(h, w_hh, b_hh));
    Tensor i = sigmoid(g.slice(1, 0, H)), f = sigmoid(g.slice(1, H, 2 * H));
    Tensor gg = tanh(g.slice(1, 2 * H, 3 * H)), og = sigmoid(g.slice(1, 3 * H, 4 * H));
    c = add(mul(f, c), mul(i, gg));
    h = mul(og, tanh(c));
    outs[static_cast<size_t>(t)] = h;
  }
  return {stack(outs, 0), h, c};
}

GruResult gru_layer_composed(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                             const Tensor& b_ih, const Tensor& b_hh, bool reverse) {
  const int64_t T = x.size(0), B = x.size(1), H = w_hh.size(1);
  Tensor h = h0.defined() ? h0 : zeros({B, H}, TensorOptions(x.dtype()).with_device(x.device()));
  Tensor xg = linear(x, w_ih, b_ih);  // (T,B,3H)
  std::vector<Tensor> outs(static_cast<size_t>(T));
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = time_at(s, T, reverse);
    Tensor gi = xg.select(0, t), gh = linear(h, w_hh, b_hh);
    Tensor r = sigmoid(add(gi.slice(1, 0, H), gh.slice(1, 0, H)));
    Tensor z = sigmoid(add(gi.slice(1, H, 2 * H), gh.slice(1, H, 2 * H)));
    Tensor n = tanh(add(gi.slice(1, 2 * H, 3 * H), mul(r, gh.slice(1, 2 * H, 3 * H))));
    h = add(n, mul(z, sub(h, n)));
    outs[static_cast<size_t>(t)] = h;
  }
  return {stack(outs, 0), h};
}

}  // namespace ember::rnn_util
