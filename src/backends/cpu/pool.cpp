// CPU kernels for the pool family (placeholder until the family is written).
#include "backends/cpu/cpu_backend.h"
namespace ember::cpu {
void register_pool_kernels(KernelTable&) {}
}  // namespace ember::cpu
