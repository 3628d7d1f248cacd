// The one place that knows which backends were built: registers each (CPU first) and records
// the state of those that were not built, so `ember device` can say why.
#include "backends/cpu/cpu_backend.h"
#include "core/backend.h"
#ifdef EMBER_WITH_OPENCL
#include "backends/opencl/opencl_backend.h"
#endif
#ifdef EMBER_WITH_CUDA
#include "backends/cuda/cuda_backend.h"
#endif

namespace ember {
void register_all_backends() {
  cpu::register_cpu();
  report_backend_status({"cpu", true, true, 1, "oneDNN + reference kernels"});
#ifdef EMBER_WITH_OPENCL
  opencl::register_opencl();  // reports its own status (devices found, or why none)
#else
  report_backend_status({"opencl", false, false, 0, "configure with -DEMBER_OPENCL=ON; needs ocl-icd-opencl-dev, opencl-clhpp-headers, libclblast-dev"});
#endif
#ifdef EMBER_WITH_CUDA
  cuda::register_cuda();  // reports its own status (devices found, or why none)
#else
  report_backend_status({"cuda", false, false, 0, "configure with -DEMBER_CUDA=ON; needs the CUDA toolkit with cuBLAS and cuDNN"});
#endif
}
}  // namespace ember
