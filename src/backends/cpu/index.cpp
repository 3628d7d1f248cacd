// CPU kernels for the index family (placeholder until the family is written).
#include "backends/cpu/cpu_backend.h"
namespace ember::cpu {
void register_index_kernels(KernelTable&) {}
}  // namespace ember::cpu
