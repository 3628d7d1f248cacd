// Helpers every op uses: find a backend kernel for a device, allocate outputs, check operands.
#pragma once
#include "core/kernels/tensor_arg.h"
#include "core/tensor_impl.h"

namespace ember::ops {

/// The kernel `name` of type Fn on device d. Throws ember::Error naming the op and device
/// when the backend lacks it (backends without a kernel get a CPU fallback in the op itself).
template <class Fn>
Fn* kernel(const Device& d, const char* name) {
  Fn* fn = get_backend(d).kernels().find<Fn>(name);
  EMBER_CHECK(fn != nullptr, "kernel '", name, "' is not implemented on device ", d.str());
  return fn;
}

/// Throws unless every defined tensor is on the same device as the first; names the op.
void check_same_device(const char* op, const std::vector<Tensor>& ts);
/// Throws unless t's dtype is floating; names the op and the argument.
void check_floating(const char* op, const char* what, const Tensor& t);
/// Throws unless t is defined.
void check_defined(const char* op, const char* what, const Tensor& t);

}  // namespace ember::ops
