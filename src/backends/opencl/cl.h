// The OpenCL C++ bindings as this backend uses them: no exceptions, every status checked by
// check(), which turns an error code into an ember::Error naming the call and the code.
#pragma once
#include <CL/opencl.hpp>

namespace ember::opencl {

/// "CL_OUT_OF_RESOURCES", ... ("CL_ERROR_<n>" for codes this table does not know).
const char* error_name(cl_int err);

/// Throws ember::Error "opencl: <what> failed: <CL_NAME>" unless err == CL_SUCCESS; the
/// out-of-memory codes (CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_RESOURCES,
/// CL_OUT_OF_HOST_MEMORY) say the device ran out of memory.
void check(cl_int err, const char* what);

}  // namespace ember::opencl
