// lstm_layer: one LSTM layer over a whole sequence as one autograd node. Forward: the input
// projection of all T steps as one GEMM (x (T*B,I) @ W_ih^T + b_ih + b_hh), then per step one
// GEMM accumulating h_{t-1} @ W_hh^T into that step's gates and one fused gate kernel
// (core/kernels/rnn.h), which leaves the activated gates and c_t for the backward. Backward:
// per step (back in time) the fused gate-backward kernel and one GEMM dh_{t-1} = dgates @ W_hh;
// then dW_hh, dW_ih and dx as one GEMM each over all steps and the bias gradient as one GEMV.
// Devices without the gate kernels run the composed layer (rnn_util.h).
#include "autograd/record.h"
#include "core/kernels/rnn.h"
#include "core/tensor_impl.h"
#include "ember/ops/elementwise.h"
#include "ops/autocast.h"
#include "ops/dispatch.h"
#include "ops/rnn_util.h"

namespace ember {

using namespace rnn_util;

LstmResult lstm_layer(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh,
                      const Tensor& b_ih, const Tensor& b_hh, bool reverse) {
  if (auto c = amp::detail::autocast_fp32({x, h0, c0, w_ih, w_hh, b_ih, b_hh}))
    return lstm_layer((*c)[0], (*c)[1], (*c)[2], (*c)[3], (*c)[4], (*c)[5], (*c)[6], reverse);
  const char* op = "lstm_layer";
  const auto [T, B, I, H] = check_layer(op, 4, x, h0, &c0, w_ih, w_hh, b_ih, b_hh);
  static const ops::KernelRef<kernels::LstmCellForwardKernel> fwd_ref(kernels::kLstmCellForward);
  const Device dev = x.device();
  const DType dt = x.dtype();
  auto fwd = fwd_ref(dev);
  if ((dt != DType::Float32 && dt != DType::Float64) || !fwd.native(dt))
    return lstm_layer_composed(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);

  Tensor xc, h0z, c0z, gates, out, cs, h_n, c_n;
  {
    NoGradGuard ng;
    const TensorOptions o = TensorOptions(dt).with_device(dev);
    xc = x.contiguous().detach();
    h0z = h0.defined() ? h0.contiguous().detach() : zeros({B, H}, o);
    c0z = c0.defined() ? c0.contiguous().detach() : zeros({B, H}, o);
    Tensor bias = b_ih.defined() && b_hh.defined() ? add(b_ih, b_hh) : b_ih.defined() ? b_ih : b_hh;
    gates = make_empty({T, B, 4 * H}, dt, dev);  // pre-activations, then activations
    gemm_into(xc.reshape({T * B, I}), w_ih.t(), gates.reshape({T * B, 4 * H}), bias);
    out = make_empty({T, B, H}, dt, dev);
    cs = make_empty({T, B, H}, dt, dev);  // c_t by time
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = time_at(s, T, reverse), p = time_before(t, T, reverse);
      Tensor g = gates.select(0, t);
      gemm_into(p < 0 ? h0z : out.select(0, p), w_hh.t(), g, Tensor(), 1.0);
      fwd(arg_of(g), arg_of(p < 0 ? c0z : cs.select(0, p)), arg_of(cs.select(0, t)), arg_of(out.select(0, t)));
    }
    const int64_t last = time_at(T - 1, T, reverse);
    h_n = out.select(0, last).clone();
    c_n = cs.select(0, last).clone();
  }
  const bool need_x = x.requires_grad(), need_h0 = h0.defined() && h0.requires_grad(),
             need_c0 = c0.defined() && c0.requires_grad();
  autograd::record(
      op, {x, h0, c0, w_ih, w_hh, b_ih, b_hh}, {out, h_n, c_n},
      [xc, h0z, c0z, w_ih = w_ih.detach(), w_hh = w_hh.detach(), gates, out, cs, reverse, need_x, need_h0, need_c0,
       has_h0 = h0.defined(), bias_ih = b_ih.defined(), bias_hh = b_hh.defined()](const std::vector<Tensor>& g) {
        static const ops::KernelRef<kernels::LstmCellBackwardKernel> bwd_ref(kernels::kLstmCellBackward);
        const int64_t T = xc.size(0), B = xc.size(1), I = xc.size(2), H = w_hh.size(1);
        const Device dev = xc.device();
        const TensorOptions o = TensorOptions(xc.dtype()).with_device(dev);
        auto bwd = bwd_ref(dev);
        Tensor go = g[0].defined() ? g[0].contiguous() : zeros({T, B, H}, o);
        Tensor dh = g[1].defined() ? g[1].contiguous().clone() : zeros({B, H}, o);
        Tensor dc = g[2].defined() ? g[2].contiguous().clone() : zeros({B, H}, o);
        Tensor dg = make_empty({T, B, 4 * H}, xc.dtype(), dev);
        for (int64_t s = T - 1; s >= 0; --s) {
          const int64_t t = time_at(s, T, reverse), p = time_before(t, T, reverse);
          Tensor dgt = dg.select(0, t);
          bwd(arg_of(gates.select(0, t)), arg_of(p < 0 ? c0z : cs.select(0, p)), arg_of(cs.select(0, t)),
              arg_of(go.select(0, t)), arg_of(dh), arg_of(dc), arg_of(dgt));
          if (s > 0 || need_h0) gemm_into(dgt, w_hh, dh);  // dh_{t-1} = dgates_t @ W_hh
        }
        Tensor dg2 = dg.reshape({T * B, 4 * H});
        Tensor dx = need_x ? gemm(dg2, w_ih).reshape({T, B, I}) : Tensor();
        Tensor dw_ih = gemm(dg2.t(), xc.reshape({T * B, I}));
        Tensor dw_hh = recurrent_weight_grad(dg, out, h0z, has_h0, reverse);
        Tensor db = bias_ih || bias_hh ? column_sum(dg2) : Tensor();
        return std::vector<Tensor>{dx,     need_h0 ? dh : Tensor(), need_c0 ? dc : Tensor(),        dw_ih, dw_hh,
                                   bias_ih ? db : Tensor(), bias_hh ? (bias_ih ? db.clone() : db) : Tensor()};
      });
  return {out, h_n, c_n};
}

}  // namespace ember
