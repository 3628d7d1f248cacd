// TEMPORARY: empty registrations for kernel families not yet written.
#include "backends/cpu/cpu_backend.h"
namespace ember::cpu {
void register_matmul_kernels(KernelTable&) {}
void register_conv_kernels(KernelTable&) {}
void register_pool_kernels(KernelTable&) {}
void register_norm_kernels(KernelTable&) {}
void register_softmax_kernels(KernelTable&) {}
void register_index_kernels(KernelTable&) {}
}  // namespace ember::cpu
