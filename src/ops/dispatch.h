// Helpers every op uses: find a backend kernel for a device, allocate outputs, check operands.
#pragma once
#include "core/kernels/tensor_arg.h"
#include "core/tensor_impl.h"

namespace ember::ops {

/// The kernel `name` of type Fn on device d. Throws ember::Error naming the kernel and device
/// when the backend lacks it (there is no automatic CPU fallback yet; see docs/architecture.md).
template <class Fn>
Fn* kernel(const Device& d, const char* name) {
  Fn* fn = get_backend(d).kernels().find<Fn>(name);
  EMBER_CHECK(fn != nullptr, "kernel '", name, "' is not implemented on device ", d.str());
  return fn;
}

/// A kernel name resolved once to its table slot. Hot ops keep one as a function-local static
/// (`static const ops::KernelRef<kernels::BinaryKernel> k(kernels::kBinary);`) so each call
/// is an index into the backend's table rather than a hash of the name.
template <class Fn>
class KernelRef {
 public:
  explicit KernelRef(const char* name) : name_(name), slot_(kernel_slot(name)) {}
  /// The kernel on device d; throws like kernel() when the backend lacks it.
  Fn* operator()(const Device& d) const { return (*this)(get_backend(d)); }
  /// Same on a backend already at hand (an operand's).
  Fn* operator()(Backend& b) const {
    Fn* fn = b.kernels().template find<Fn>(slot_);
    EMBER_CHECK(fn != nullptr, "kernel '", name_, "' is not implemented on device ", b.device().str());
    return fn;
  }

 private:
  const char* name_;
  size_t slot_;
};

/// Throws unless every defined tensor is on the same device as the first; names the op.
void check_same_device(const char* op, const std::vector<Tensor>& ts);
/// Same for a braced list ({x, weight, bias}), without copying the handles into a vector.
inline void check_same_device(const char* op, std::initializer_list<TensorRef> ts) {
  const Backend* first = nullptr;
  for (TensorRef r : ts) {
    if (!r.t->defined()) continue;
    const Backend* b = r.t->impl()->storage->backend;
    if (!first) first = b;
    if (b == first) continue;
    std::vector<Tensor> all;  // mismatch: the vector form builds the message
    for (TensorRef x : ts) all.push_back(*x.t);
    check_same_device(op, all);
  }
}
/// Same for two defined tensors (the common binary-op case).
inline void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.impl()->storage->backend != b.impl()->storage->backend) check_same_device(op, std::vector<Tensor>{a, b});
}
/// Throws unless t's dtype is floating; names the op and the argument.
void check_floating(const char* op, const char* what, const Tensor& t);
/// Throws unless t is defined.
void check_defined(const char* op, const char* what, const Tensor& t);

}  // namespace ember::ops
