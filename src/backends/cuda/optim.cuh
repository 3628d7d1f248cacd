// Fused multi-tensor optimizer updates on a CUDA device: every parameter of a group updated by
// one kernel launch (Adam/AdamW, SGD with momentum). The arithmetic is core/kernel_math.h's
// adam_step / sgd_step, which repeats src/optim/update_kernels.cpp's fused CPU loops operation
// for operation, and optim.cu is compiled without multiply-add contraction, so a GPU update
// equals the CPU's bit for bit. Plain C++ declarations: src/optim may call these through a
// kernel slot (see docs/architecture.md, "CUDA backend").
#pragma once
#include <cstdint>
#include <vector>

#include "core/kernels/tensor_arg.h"

namespace ember::cuda {

/// One parameter of an Adam group: four contiguous tensors of one float32/float64 dtype with
/// the same numel, on the same CUDA device as the rest of the group.
struct AdamSlot {
  TensorArg param, grad, exp_avg, exp_avg_sq;
};
struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW
  int64_t step;    // already incremented: 1 on the first update; shared by the group
};
/// Updates param, exp_avg and exp_avg_sq of every slot in place. Requires at least one slot;
/// throws ember::Error naming the first slot that breaks the requirements.
void fused_adam(const std::vector<AdamSlot>& slots, const AdamHyper& h);

/// One parameter of an SGD group; momentum_buffer is ignored (and may have no data) when
/// momentum == 0.
struct SgdSlot {
  TensorArg param, grad, momentum_buffer;
};
struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first;  // the buffers have no history yet (set to the first direction)
};
void fused_sgd(const std::vector<SgdSlot>& slots, const SgdHyper& h);

}  // namespace ember::cuda
