// CPU kernels for the conv family (placeholder until the family is written).
#include "backends/cpu/cpu_backend.h"
namespace ember::cpu {
void register_conv_kernels(KernelTable&) {}
}  // namespace ember::cpu
