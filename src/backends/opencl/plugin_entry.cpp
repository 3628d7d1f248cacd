// The entry points of libember-opencl.so, the OpenCL backend built as a plugin (plugin_api.h).
// Unused when the backend is linked into a static libember.
#include "backends/opencl/opencl_backend.h"
#include "backends/plugin_api.h"

EMBER_BACKEND_PLUGIN(opencl, ember::opencl::register_opencl)
