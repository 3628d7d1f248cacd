// The OpenCL backend: one Backend per OpenCL device of every platform ("opencl:N" in platform
// order), registered by register_opencl(), and the per-family kernel registration functions.
#pragma once
#include "core/backend.h"

namespace ember::opencl {

/// Finds every OpenCL device and registers a backend for each. Never throws: with no
/// platform or device it registers none and reports why (backend_statuses()).
void register_opencl();

// Each fills the OpenCL kernels of one family (one .cpp per family).
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

}  // namespace ember::opencl
