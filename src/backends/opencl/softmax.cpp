// OpenCL softmax kernels: not written yet, so the op layer runs them through the CPU fallback.
#include "opencl_backend.h"

namespace ember::opencl {
void register_softmax_kernels(KernelTable&) {}
}  // namespace ember::opencl
