// The entry points of libember-cuda.so, the CUDA backend built as a plugin (plugin_api.h).
// Unused when the backend is linked into a static libember.
#include "backends/cuda/cuda_backend.h"
#include "backends/plugin_api.h"

EMBER_BACKEND_PLUGIN(cuda, ember::cuda::register_cuda)
