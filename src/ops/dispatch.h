// Helpers every op uses: find a backend kernel for a device, allocate outputs, check operands.
#pragma once
#include "core/fallback.h"
#include "core/kernels/tensor_arg.h"
#include "core/tensor_impl.h"

namespace ember::ops {

template <class Fn>
class KernelCall;

/// A kernel ready to call: the device's own, or (when the device lacks it) the CPU backend's
/// run on host copies of the operands, announced once by a warning naming the kernel and the
/// device (core/fallback.h). Call it like the kernel: `call(args...)`.
template <class... Args>
class KernelCall<void(Args...)> {
 public:
  using Fn = void(Args...);
  KernelCall(Fn* fn, Backend& b, size_t slot) : fn_(fn), backend_(&b), slot_(slot) {}
  void operator()(Args... args) const {
    if (fn_) return fn_(args...);
    fallback::warn_once(slot_, backend_->device(), "is not implemented");
    fallback::CpuFallback<Fn>::run(*backend_, slot_, args...);
  }
  /// True when the device has its own kernel (no CPU fallback).
  bool native() const { return fn_ != nullptr; }

 private:
  Fn* fn_;
  Backend* backend_;
  size_t slot_;
};

/// The kernel `name` of type Fn for device d (see KernelCall: a device lacking it falls back
/// to the CPU with a one-time warning; a kernel the CPU lacks too is an ember::Error).
template <class Fn>
KernelCall<Fn> kernel(const Device& d, const char* name) {
  Backend& b = get_backend(d);
  const size_t slot = kernel_slot(name);
  return KernelCall<Fn>(b.kernels().find<Fn>(slot), b, slot);
}

/// A kernel name resolved once to its table slot. Hot ops keep one as a function-local static
/// (`static const ops::KernelRef<kernels::BinaryKernel> k(kernels::kBinary);`) so each call
/// is an index into the backend's table rather than a hash of the name.
template <class Fn>
class KernelRef {
 public:
  explicit KernelRef(const char* name) : slot_(kernel_slot(name)) {}
  /// The kernel on device d (with the CPU fallback of KernelCall).
  KernelCall<Fn> operator()(const Device& d) const { return (*this)(get_backend(d)); }
  /// Same on a backend already at hand (an operand's).
  KernelCall<Fn> operator()(Backend& b) const { return KernelCall<Fn>(b.kernels().template find<Fn>(slot_), b, slot_); }

 private:
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
