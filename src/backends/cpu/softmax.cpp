// CPU kernels for the softmax family (placeholder until the family is written).
#include "backends/cpu/cpu_backend.h"
namespace ember::cpu {
void register_softmax_kernels(KernelTable&) {}
}  // namespace ember::cpu
