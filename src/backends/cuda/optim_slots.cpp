// The kernel-table entries sgd_update / adam_update (core/kernels/optim.h) on CUDA: one
// parameter per call through the multi-tensor launchers of optim.cu.
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/optim.cuh"
#include "core/kernels/optim.h"

namespace ember::cuda {
namespace {

void sgd_update(const TensorArg& p, const TensorArg& g, const TensorArg* buf, const kernels::SgdUpdateArgs& a) {
  if (p.numel() == 0) return;
  fused_sgd({SgdSlot{p, g, buf ? *buf : TensorArg{}}}, {a.lr, a.momentum, a.dampening, a.weight_decay, a.nesterov, a.first});
}

void adam_update(const TensorArg& p, const TensorArg& g, const TensorArg& m, const TensorArg& v,
                 const kernels::AdamUpdateArgs& a) {
  if (p.numel() == 0) return;
  fused_adam({AdamSlot{p, g, m, v}}, {a.lr, a.beta1, a.beta2, a.eps, a.weight_decay, a.decoupled, a.step});
}

}  // namespace

void register_optim_kernels(KernelTable& t) {
  t.set(kernels::kSgdUpdate, sgd_update);
  t.set(kernels::kAdamUpdate, adam_update);
}

}  // namespace ember::cuda
