// gru_layer: one GRU layer over a whole sequence as one autograd node, shaped as lstm_layer
// (ops/lstm.cpp): the input projection x @ W_ih^T + b_ih of all steps as one GEMM; per step one
// GEMM gh = h_{t-1} @ W_hh^T + b_hh (kept: its n part is needed by the backward, as r multiplies
// it) and one fused gate kernel (core/kernels/rnn.h). Backward: per step the gate-backward kernel
// and one GEMM adding dgh @ W_hh to h_{t-1}'s gradient; then one GEMM each for dW_ih, dW_hh, dx
// and one GEMV per bias. Devices without the gate kernels run the composed layer (rnn_util.h).
#include "autograd/record.h"
#include "core/kernels/rnn.h"
#include "core/tensor_impl.h"
#include "ops/autocast.h"
#include "ops/dispatch.h"
#include "ops/rnn_util.h"

namespace ember {

using namespace rnn_util;

GruResult gru_layer(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                    const Tensor& b_hh, bool reverse) {
  if (auto c = amp::detail::autocast_fp32({x, h0, w_ih, w_hh, b_ih, b_hh}))
    return gru_layer((*c)[0], (*c)[1], (*c)[2], (*c)[3], (*c)[4], (*c)[5], reverse);
  const char* op = "gru_layer";
  const auto [T, B, I, H] = check_layer(op, 3, x, h0, nullptr, w_ih, w_hh, b_ih, b_hh);
  static const ops::KernelRef<kernels::GruCellForwardKernel> fwd_ref(kernels::kGruCellForward);
  const Device dev = x.device();
  const DType dt = x.dtype();
  auto fwd = fwd_ref(dev);
  if ((dt != DType::Float32 && dt != DType::Float64) || !fwd.native(dt))
    return gru_layer_composed(x, h0, w_ih, w_hh, b_ih, b_hh, reverse);

  Tensor xc, h0z, gi, gh, out, h_n;
  {
    NoGradGuard ng;
    xc = x.contiguous().detach();
    h0z = h0.defined() ? h0.contiguous().detach() : zeros({B, H}, TensorOptions(dt).with_device(dev));
    gi = make_empty({T, B, 3 * H}, dt, dev);  // input projections, then the activations r, z, n
    gemm_into(xc.reshape({T * B, I}), w_ih.t(), gi.reshape({T * B, 3 * H}), b_ih);
    gh = make_empty({T, B, 3 * H}, dt, dev);  // h_{t-1} @ W_hh^T + b_hh by time
    out = make_empty({T, B, H}, dt, dev);
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = time_at(s, T, reverse), p = time_before(t, T, reverse);
      Tensor hp = p < 0 ? h0z : out.select(0, p), ght = gh.select(0, t);
      gemm_into(hp, w_hh.t(), ght, b_hh);
      fwd(arg_of(gi.select(0, t)), arg_of(ght), arg_of(hp), arg_of(out.select(0, t)));
    }
    h_n = out.select(0, time_at(T - 1, T, reverse)).clone();
  }
  const bool need_x = x.requires_grad(), need_h0 = h0.defined() && h0.requires_grad();
  autograd::record(
      op, {x, h0, w_ih, w_hh, b_ih, b_hh}, {out, h_n},
      [xc, h0z, w_ih = w_ih.detach(), w_hh = w_hh.detach(), gi, gh, out, reverse, need_x, need_h0,
       has_h0 = h0.defined(), bias_ih = b_ih.defined(), bias_hh = b_hh.defined()](const std::vector<Tensor>& g) {
        static const ops::KernelRef<kernels::GruCellBackwardKernel> bwd_ref(kernels::kGruCellBackward);
        const int64_t T = xc.size(0), B = xc.size(1), I = xc.size(2), H = w_hh.size(1);
        const Device dev = xc.device();
        const TensorOptions o = TensorOptions(xc.dtype()).with_device(dev);
        auto bwd = bwd_ref(dev);
        Tensor go = g[0].defined() ? g[0].contiguous() : zeros({T, B, H}, o);
        Tensor dh = g[1].defined() ? g[1].contiguous().clone() : zeros({B, H}, o);
        Tensor dgi = make_empty({T, B, 3 * H}, xc.dtype(), dev), dgh = make_empty({T, B, 3 * H}, xc.dtype(), dev);
        for (int64_t s = T - 1; s >= 0; --s) {
          const int64_t t = time_at(s, T, reverse), p = time_before(t, T, reverse);
          Tensor dght = dgh.select(0, t);
          bwd(arg_of(gi.select(0, t)), arg_of(gh.select(0, t)), arg_of(p < 0 ? h0z : out.select(0, p)),
              arg_of(go.select(0, t)), arg_of(dh), arg_of(dgi.select(0, t)), arg_of(dght));
          if (s > 0 || need_h0) gemm_into(dght, w_hh, dh, Tensor(), 1.0);  // dh_{t-1} += dgh_t @ W_hh
        }
        Tensor dgi2 = dgi.reshape({T * B, 3 * H}), dgh2 = dgh.reshape({T * B, 3 * H});
        Tensor dx = need_x ? gemm(dgi2, w_ih).reshape({T, B, I}) : Tensor();
        Tensor dw_ih = gemm(dgi2.t(), xc.reshape({T * B, I}));
        Tensor dw_hh = recurrent_weight_grad(dgh, out, h0z, has_h0, reverse);
        return std::vector<Tensor>{dx,    need_h0 ? dh : Tensor(), dw_ih, dw_hh, bias_ih ? column_sum(dgi2) : Tensor(),
                                   bias_hh ? column_sum(dgh2) : Tensor()};
      });
  return {out, h_n};
}

}  // namespace ember
