// Helpers every op uses: find a backend kernel for a device, allocate outputs, check operands.
#pragma once
#include <string>

#include "core/fallback.h"
#include "core/kernels/tensor_arg.h"
#include "core/tensor_impl.h"

namespace ember::ops {

namespace detail {
/// The dtype bits of one kernel argument: a TensorArg's dtype; nothing for scalars, enums,
/// geometry and argument structs (no kernel signature hides a TensorArg inside a struct).
inline DTypeMask operand_dtypes(const TensorArg& a) { return dtype_bit(a.dtype); }
inline DTypeMask operand_dtypes(const TensorArg* a) { return a ? dtype_bit(a->dtype) : 0; }
template <class T>
DTypeMask operand_dtypes(const T&) { return 0; }
/// "is not implemented for <the lowest dtype in bad>" (bad != 0).
std::string unsupported_dtype_reason(DTypeMask bad);
}  // namespace detail

template <class Fn>
class KernelCall;

/// A kernel ready to call on one backend. The fallback is decided here, once, for every
/// backend (as ggml's supports_op): the call runs the device's own kernel unless the device
/// lacks it, lacks one of the operands' dtypes (KernelTable::set's dtype mask), or its decline
/// predicate refuses the call; then the CPU backend's kernel runs on host copies of the
/// operands, announced once per kernel and device by a warning saying why (core/fallback.h).
/// A kernel registered without restrictions (every CPU kernel) is called directly. Call it like the kernel: `call(args...)`.
template <class... Args>
class KernelCall<void(Args...)> {
 public:
  using Fn = void(Args...);
  KernelCall(Backend& b, const KernelKey<Fn>& key) : direct_(b.kernels().direct(key)), backend_(&b), key_(&key) {}
  void operator()(Args... args) const {
    if (direct_) return direct_(args...);  // nothing to check (every CPU kernel)
    checked_call(args...);
  }
  /// True when the device has its own kernel (for some dtypes at least).
  bool native() const { return direct_ != nullptr || backend_->kernels().get(*key_) != nullptr; }
  /// True when the device runs its own kernel for operands of these dtypes.
  template <class... D>
  bool native(D... dtypes) const {
    return backend_->supports(*key_, dtypes...);
  }

 private:
  // Out of line and cold, so the fast path above stays small where it is inlined.
  [[gnu::noinline, gnu::cold]] void checked_call(Args... args) const {
    const KernelEntry<Fn> e = backend_->kernels().entry(*key_);
    std::string reason;
    const char* why = nullptr;
    if (e.fn == nullptr) {
      why = "is not implemented";
    } else if (const DTypeMask bad = (DTypeMask{0} | ... | detail::operand_dtypes(args)) & e.unsupported) {
      reason = detail::unsupported_dtype_reason(bad);
      why = reason.c_str();
    } else if (e.decline != nullptr) {
      why = e.decline(args...);
    }
    if (why == nullptr) return e.fn(args...);
    fallback::warn_once(key_->slot(), backend_->device(), why);
    fallback::CpuFallback<Fn>::run(*backend_, *key_, args...);
  }
  Fn* direct_;
  Backend* backend_;
  const KernelKey<Fn>* key_;
};

/// The kernel of key on backend b (see KernelCall: a call b cannot do itself falls back to the
/// CPU with a one-time warning; a kernel the CPU lacks too is an ember::Error). The signature
/// is the key's: `ops::kernel(dev, kernels::kBinary)(op, a, b, out)`.
template <class Fn>
KernelCall<Fn> kernel(Backend& b, const KernelKey<Fn>& key) {
  return KernelCall<Fn>(b, key);
}
/// Same on device d.
template <class Fn>
KernelCall<Fn> kernel(const Device& d, const KernelKey<Fn>& key) {
  return kernel(get_backend(d), key);
}

/// A kernel key held by an op (`static const ops::KernelRef<kernels::BinaryKernel>
/// k(kernels::kBinary);`, then `k(device)(...)`): the same as ops::kernel(device, key). The key
/// caches its table slot, so either form is an index into the backend's table, not a hash.
template <class Fn>
class KernelRef {
 public:
  explicit KernelRef(const KernelKey<Fn>& key) : key_(&key) {}
  /// The kernel on device d (with the CPU fallback of KernelCall).
  KernelCall<Fn> operator()(const Device& d) const { return kernel(get_backend(d), *key_); }
  /// Same on a backend already at hand (an operand's).
  KernelCall<Fn> operator()(Backend& b) const { return kernel(b, *key_); }

 private:
  const KernelKey<Fn>* key_;
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
