// Fused kernels: several ops in one pass over memory, for patterns common enough to pay for it
// (the batch-norm block, and dropout with its mask drawn inside the pass). The attention row
// kernels (core/kernels/attention.h) and the recurrent gate kernels (core/kernels/rnn.h) are
// optional in the same way.
// Unlike every other kernel, a backend may leave these out: the op then composes the same
// result from the unfused kernels (no CPU fallback). is_optional_kernel() lists them.
#pragma once
#include <cstdint>
#include <string_view>

#include "core/kernel_formulas.h"
#include "core/kernels/attention.h"
#include "core/kernels/conv.h"
#include "core/kernels/optim.h"
#include "core/kernels/rnn.h"
#include "core/kernels/kernel_key.h"
#include "core/kernels/tensor_arg.h"

namespace ember::kernels {

/// Winner code of a window whose maximum was <= 0: the ReLU passed no gradient back.
inline constexpr uint8_t kBatchNormReluMaxPool2dDead = 4;

// Layouts: x is contiguous NCHW, or, on a backend whose takes_channels_last() is true, may be
// channels-last (core/memory_format.h); out, code, grad and dx then share x's layout.

/// Training forward of max_pool2d(relu(batch_norm(x)), kernel 2, stride 2) with batch
/// statistics. x (N,C,H,W) float32, float64 or bfloat16 (autocast: read directly
/// instead of converted), H,W >= 2, N*H*W >= 2. The compute dtype is float64 for float64 x,
/// else float32: weight/bias (C) in it or null (1 and 0); mean (C), biased var (C) and rstd (C)
/// written in it as BatchNormForward does; out (N,C,H/2,W/2) in it; and
/// code (N,C,H/2,W/2) uint8: the position (row-major, 0..3) in its 2x2 window of
/// the first maximum of the normalised values, or kBatchNormReluMaxPool2dDead when that
/// maximum was <= 0.
using BatchNormReluMaxPool2dForwardKernel = void(const TensorArg& x, const TensorArg* weight, const TensorArg* bias,
                                                 double eps, const TensorArg& out, const TensorArg& code,
                                                 const TensorArg& mean, const TensorArg& var, const TensorArg& rstd);
inline constinit const KernelKey<BatchNormReluMaxPool2dForwardKernel> kBatchNormReluMaxPool2dForward{
    "batch_norm_relu_max_pool2d_forward"};

/// Backward of the above: grad (N,C,H/2,W/2) in the compute dtype, code, x, mean and
/// rstd as the forward left them. Writes, when non-null, dx (N,C,H,W) in x's dtype,
/// dweight (C) and dbias (C) in the compute dtype: the gradient reaches each window's winner
/// through the ReLU, then batch norm's
/// training backward spreads it over the channel.
using BatchNormReluMaxPool2dBackwardKernel = void(const TensorArg& grad, const TensorArg& code, const TensorArg& x,
                                                  const TensorArg& mean, const TensorArg& rstd,
                                                  const TensorArg* weight, const TensorArg* dx,
                                                  const TensorArg* dweight, const TensorArg* dbias);
inline constinit const KernelKey<BatchNormReluMaxPool2dBackwardKernel> kBatchNormReluMaxPool2dBackward{
    "batch_norm_relu_max_pool2d_backward"};

/// The splitmix64 value number j of the stream seeded with seed: dropout's random stream. Each
/// value gives two 32-bit uniforms, low half first, so element i of a tensor (row-major) draws
/// dropout_uniform(seed, i). Every backend's dropout must draw this same stream, which is what
/// makes one manual_seed give one mask on every device.
/// (The formula is core/kernel_formulas.h's EMBER_SPLITMIX64, which the OpenCL kernels share.)
inline uint64_t splitmix64(uint64_t seed, uint64_t j) { return EMBER_SPLITMIX64(uint64_t, seed, j); }
/// Element i's 32-bit uniform in the stream above.
inline uint32_t dropout_uniform(uint64_t seed, uint64_t i) {
  const uint64_t r = splitmix64(seed, i / 2);
  return static_cast<uint32_t>(i % 2 ? r >> 32 : r);
}

/// Dropout in one pass, no mask tensor: out[i] = x[i] * (dropout_uniform(seed, i) >= threshold
/// ? keep : 0), i row-major. x and out contiguous, one floating dtype (float32, float64,
/// bfloat16 or float16); keep is first rounded to that dtype and the product computed as the
/// binary Mul kernel does, so the result equals x times the mask tensor the op would otherwise
/// build. The backward is the same call on the gradient.
using DropoutKernel = void(const TensorArg& x, const TensorArg& out, uint64_t seed, uint64_t threshold, double keep);
inline constinit const KernelKey<DropoutKernel> kDropout{"dropout"};

/// Whether a backend may omit the kernel `name` (see above).
inline bool is_optional_kernel(std::string_view name) {
  // The gradient clipping kernels (core/kernels/optim.h) are optional too: clip_grad_norm_ uses
  // tensor ops on a device without them. So are the recurrent gate kernels (core/kernels/rnn.h):
  // the layers are then composed from matmul and elementwise ops.
  for (const char* k : {kBatchNormReluMaxPool2dForward.name(), kBatchNormReluMaxPool2dBackward.name(), kDropout.name(),
                        kGradNorm.name(), kGradScale.name(), kConv2dBackward.name(), kLstmCellForward.name(),
                        kLstmCellBackward.name(), kGruCellForward.name(), kGruCellBackward.name(),
                        kAttentionSoftmax.name(), kAttentionSoftmaxBackward.name()})
    if (name == k) return true;
  return false;
}

}  // namespace ember::kernels
