// Kernel signatures of the recurrent layers' fused gate kernels (ops/rnn.cpp): one call per
// time step does every per-element operation of an LSTM or GRU cell in one pass, after the
// op layer's GEMMs (the input projection of all steps, then one h_{t-1} @ W_hh^T per step).
// Gate order as PyTorch: LSTM i,f,g,o; GRU r,z,n. Optional kernels (core/kernels/fused.h): a
// backend without them gets the layer composed from matmul and elementwise ops instead.
//
// Layout for every kernel: B rows; each operand (B, k*H) has unit stride along its last dim and
// any row stride (a time step's slice of a (T,B,k*H) buffer). All operands share one dtype,
// float32 or float64 (the op runs bfloat16/float16 inputs in float32); arithmetic in that dtype.
#pragma once
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// LSTM cell forward. gates (B,4H): on entry the pre-activations x W_ih^T + b_ih + b_hh +
/// h_prev W_hh^T; on return the activations sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
/// (what the backward reads). c_prev (B,H); writes c = f*c_prev + i*g and h = o*tanh(c), (B,H).
using LstmCellForwardKernel = void(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c,
                                   const TensorArg& h);
inline constinit const KernelKey<LstmCellForwardKernel> kLstmCellForward{"lstm_cell_forward"};

/// LSTM cell backward for one step. gates (B,4H) the activations the forward left, c_prev and c
/// (B,H) as in the forward; dh_out (B,H) the gradient reaching h from the layer's output, dh
/// (B,H) the one reaching it from the next step (their sum is h's gradient); dc (B,H) on entry
/// the gradient of c from the next step, on return the gradient of c_prev. Writes dgates (B,4H),
/// the gradient of the pre-activations. dgates must not overlap the other operands.
using LstmCellBackwardKernel = void(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& c,
                                    const TensorArg& dh_out, const TensorArg& dh, const TensorArg& dc,
                                    const TensorArg& dgates);
inline constinit const KernelKey<LstmCellBackwardKernel> kLstmCellBackward{"lstm_cell_backward"};

/// GRU cell forward. gi (B,3H): on entry x W_ih^T + b_ih, on return the activations r, z, n;
/// gh (B,3H) = h_prev W_hh^T + b_hh (read only; its n part is what the backward needs);
/// h_prev (B,H). r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z),
/// n = tanh(gi_n + r * gh_n); writes h = n + z * (h_prev - n), (B,H) (PyTorch's form).
using GruCellForwardKernel = void(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev,
                                  const TensorArg& h);
inline constinit const KernelKey<GruCellForwardKernel> kGruCellForward{"gru_cell_forward"};

/// GRU cell backward for one step. gi (B,3H) the activations r, z, n; gh (B,3H) and h_prev as in
/// the forward; dh_out and dh (B,H) as for the LSTM. Writes dgi (B,3H) (the gradient of the
/// input projection: d pre-activations of r, z, n), dgh (B,3H) (of h_prev W_hh^T + b_hh: the
/// same for r and z, times r for n), and overwrites dh with the direct part of h_prev's
/// gradient, (dh_out + dh) * z; the caller adds dgh @ W_hh to it.
using GruCellBackwardKernel = void(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev,
                                   const TensorArg& dh_out, const TensorArg& dh, const TensorArg& dgi,
                                   const TensorArg& dgh);
inline constinit const KernelKey<GruCellBackwardKernel> kGruCellBackward{"gru_cell_backward"};

}  // namespace ember::kernels
