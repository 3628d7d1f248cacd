// The one place that knows the backends: registers each (CPU first) and records the state of
// those that were not built, so `ember device` can say why. With a shared libember each GPU
// backend is a plugin (libember-<name>.so, loaded by plugin_loader.cpp from libember's own
// directory; EMBER_<NAME>_PLUGIN when it was built); with a static libember it is linked in
// (EMBER_WITH_<NAME>) and registered directly.
#include "backends/cpu/cpu_backend.h"
#include "backends/plugin_loader.h"
#include "core/backend.h"
#ifdef EMBER_WITH_OPENCL
#include "backends/opencl/opencl_backend.h"
#endif
#ifdef EMBER_WITH_CUDA
#include "backends/cuda/cuda_backend.h"
#endif

namespace ember {

namespace {
constexpr const char* kOpenclHint =
    "configure with -DEMBER_OPENCL=ON; needs ocl-icd-opencl-dev, opencl-clhpp-headers, libclblast-dev";
constexpr const char* kCudaHint = "configure with -DEMBER_CUDA=ON; needs the CUDA toolkit with cuBLAS and cuDNN";

#ifdef EMBER_OPENCL_PLUGIN
constexpr bool kOpenclPlugin = true;
#else
constexpr bool kOpenclPlugin = false;
#endif
#ifdef EMBER_CUDA_PLUGIN
constexpr bool kCudaPlugin = true;
#else
constexpr bool kCudaPlugin = false;
#endif

/// A GPU backend that is not linked in: its plugin (shared libember), or the reason it is absent.
[[maybe_unused]] void register_plugin(const char* name, bool built, const char* hint) {
#ifdef EMBER_BACKEND_PLUGINS
  load_backend_plugin(name, built, hint);
#else
  report_backend_status({name, false, false, 0, hint});
#endif
}
}  // namespace

void register_all_backends() {
  cpu::register_cpu();
  report_backend_status({"cpu", true, true, 1, "oneDNN + reference kernels"});
#ifdef EMBER_WITH_OPENCL
  opencl::register_opencl();  // reports its own status (devices found, or why none)
#else
  register_plugin("opencl", kOpenclPlugin, kOpenclHint);
#endif
#ifdef EMBER_WITH_CUDA
  cuda::register_cuda();  // reports its own status (devices found, or why none)
#else
  register_plugin("cuda", kCudaPlugin, kCudaHint);
#endif
}

}  // namespace ember
