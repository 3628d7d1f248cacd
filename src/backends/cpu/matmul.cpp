// CPU kernels for the matmul family (placeholder until the family is written).
#include "backends/cpu/cpu_backend.h"
namespace ember::cpu {
void register_matmul_kernels(KernelTable&) {}
}  // namespace ember::cpu
