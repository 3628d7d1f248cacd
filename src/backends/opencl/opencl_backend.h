// The OpenCL backend: one Backend per OpenCL device of every platform ("opencl:N" in platform
// order), registered by register_opencl(), and the per-family kernel registration functions.
#pragma once
#include "core/backend.h"

namespace ember::opencl {

/// Finds every OpenCL device and registers a backend for each. Never throws: with no
/// platform or device it registers none and reports why (backend_statuses()).
void register_opencl();

// Each fills the OpenCL kernels of one family (one .cpp per family). computes: the dtypes the
// device computes in (all but float64 without cl_khr_fp64), given to every kernel that computes
// in its operands' dtype; the dispatcher sends a call with an operand of another dtype to the
// CPU. Kernels that only move bytes (fill, index_select, gather) take every dtype.
void register_copy_kernels(KernelTable& t, DTypeMask computes);
void register_elementwise_kernels(KernelTable& t, DTypeMask computes);
void register_reduce_kernels(KernelTable& t, DTypeMask computes);
void register_matmul_kernels(KernelTable& t, DTypeMask computes);
void register_conv_kernels(KernelTable& t, DTypeMask computes);
void register_pool_kernels(KernelTable& t, DTypeMask computes);
void register_norm_kernels(KernelTable& t, DTypeMask computes);
void register_softmax_kernels(KernelTable& t, DTypeMask computes);
void register_attention_kernels(KernelTable& t, DTypeMask computes);
void register_index_kernels(KernelTable& t, DTypeMask computes);
void register_optim_kernels(KernelTable& t, DTypeMask computes);
void register_rnn_kernels(KernelTable& t, DTypeMask computes);

}  // namespace ember::opencl
