// CPU kernels for the norm family (placeholder until the family is written).
#include "backends/cpu/cpu_backend.h"
namespace ember::cpu {
void register_norm_kernels(KernelTable&) {}
}  // namespace ember::cpu
