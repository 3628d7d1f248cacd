// The CUDA backend: one Backend per visible GPU (caching device allocator, one stream, kernels
// from .cu files, cuBLAS/cuBLASLt and cuDNN), registered by register_cuda(). Plain C++: the
// CUDA headers stay out of this file so register_all.cpp compiles without them.
#pragma once
#include <string>

#include "core/backend.h"

namespace ember::cuda {

/// Registers one Backend per CUDA device and reports the backend's status. Never throws:
/// without a driver or a GPU it registers nothing and reports why (report_backend_status).
void register_cuda();

/// Why CUDA is unusable in this process ("" when at least one device works); probes once.
std::string unavailable_reason();

// One registration function per kernel family (each in its own file).
void register_copy_kernels(KernelTable& t);
void register_elementwise_kernels(KernelTable& t);
void register_reduce_kernels(KernelTable& t);
void register_matmul_kernels(KernelTable& t);
void register_conv_kernels(KernelTable& t);
void register_pool_kernels(KernelTable& t);
void register_norm_kernels(KernelTable& t);
void register_softmax_kernels(KernelTable& t);
void register_attention_kernels(KernelTable& t);
void register_index_kernels(KernelTable& t);
void register_optim_kernels(KernelTable& t);
void register_rnn_kernels(KernelTable& t);

}  // namespace ember::cuda
