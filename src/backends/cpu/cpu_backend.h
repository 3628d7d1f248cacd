// The CPU backend: host memory with a caching allocator, a synchronous stream, and kernels
// (reference loops plus oneDNN fast paths) registered by family.
#pragma once
#include "core/backend.h"

namespace ember::cpu {

void register_cpu();

// One registration function per kernel family (each in its own .cpp).
void register_copy_kernels(KernelTable& t);
void register_elementwise_kernels(KernelTable& t);
void register_reduce_kernels(KernelTable& t);
void register_matmul_kernels(KernelTable& t);
void register_conv_kernels(KernelTable& t);
void register_pool_kernels(KernelTable& t);
void register_norm_kernels(KernelTable& t);
void register_softmax_kernels(KernelTable& t);
void register_index_kernels(KernelTable& t);
void register_optim_kernels(KernelTable& t);
void register_clip_kernels(KernelTable& t);
void register_fused_kernels(KernelTable& t);
void register_dropout_kernels(KernelTable& t);
void register_rnn_kernels(KernelTable& t);
void register_attention_kernels(KernelTable& t);

}  // namespace ember::cpu
