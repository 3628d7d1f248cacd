// The abstract backend interface, split by role (as ggml's ggml-backend-impl.h):
// device info, buffers (allocation + copies), stream (ordering/sync), and a kernel table.
// Concrete backends (src/backends/*) implement it from above; core never includes them.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/device_info.h"
#include "ember/error.h"
#include "core/kernels/kernel_key.h"

namespace ember {


/// Device memory. Buffers are opaque handles: only the owning backend may dereference them.
/// Offsets are in bytes. Implementations cache freed blocks so a training step does not
/// reach the system allocator.
class BufferAllocator {
 public:
  virtual ~BufferAllocator() = default;
  /// Returns a buffer of at least nbytes (nbytes may be 0). Throws ember::Error when out of memory.
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* buffer, size_t nbytes) = 0;
  virtual void copy_from_host(void* dst, size_t dst_offset, const void* src, size_t nbytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t src_offset, size_t nbytes) = 0;
  virtual void copy_within(void* dst, size_t dst_offset, const void* src, size_t src_offset,
                           size_t nbytes) = 0;
  virtual size_t cached_bytes() const { return 0; }
  virtual void empty_cache() {}
};

/// Ordering of work on a device. Kernels are enqueued in order; synchronize() waits for all.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual void synchronize() = 0;
};

/// What a backend's kernel table holds for one kernel, read by the dispatcher (ops/dispatch.h):
/// the function, the operand dtypes it cannot compute in, and an optional decline predicate.
template <class Fn>
struct KernelEntry {
  Fn* fn = nullptr;                  // nullptr: the backend lacks the kernel
  DTypeMask unsupported = 0;         // operand dtypes it cannot compute in (0 on the CPU)
  Decline<Fn>* decline = nullptr;    // see Decline in core/kernels/kernel_key.h
};

/// Maps each kernel (a KernelKey, core/kernels/kernel_key.h) to a backend's function of the
/// key's signature, with what the backend supports of it. Each op family declares its keys in
/// src/core/kernels/<family>.h; a backend fills in the ones it implements. Entries live in a
/// vector indexed by the key's slot. Filled at registration, read-only after.
class KernelTable {
 public:
  /// Registers fn for key. dtypes: the operand dtypes fn computes in (an operand of another
  /// dtype sends the call to the CPU fallback); decline: see Decline. The signature comes from
  /// the key: a function of another type does not compile.
  template <class Fn>
  void set(const KernelKey<Fn>& key, std::type_identity_t<Fn>* fn, DTypeMask dtypes = kAllDTypes,
           Decline<Fn>* decline = nullptr) {
    const size_t s = key.slot();
    if (s >= slots_.size()) slots_.resize(s + 1);
    Slot& e = slots_[s];
    e.fn = reinterpret_cast<void (*)()>(fn);
    e.unsupported = kAllDTypes & ~dtypes;
    e.decline = reinterpret_cast<void (*)()>(decline);
    e.direct = e.unsupported == 0 && decline == nullptr ? e.fn : nullptr;
  }
  /// The kernel of key, or nullptr when the backend lacks it (whatever it supports).
  template <class Fn>
  Fn* get(const KernelKey<Fn>& key) const {
    return entry(key).fn;
  }
  /// The full entry of key (all empty when the backend lacks it).
  template <class Fn>
  KernelEntry<Fn> entry(const KernelKey<Fn>& key) const {
    const size_t s = key.slot();
    if (s >= slots_.size()) return {};
    const Slot& e = slots_[s];
    return {reinterpret_cast<Fn*>(e.fn), e.unsupported, reinterpret_cast<Decline<Fn>*>(e.decline)};
  }
  /// The kernel of key when every call may go straight to it (registered for every dtype,
  /// without a decline predicate: every CPU kernel), else nullptr. The dispatcher's fast path.
  template <class Fn>
  Fn* direct(const KernelKey<Fn>& key) const {
    const size_t s = key.slot();
    return s < slots_.size() ? reinterpret_cast<Fn*>(slots_[s].direct) : nullptr;
  }
  /// Whether the kernel of key is registered and computes in every dtype of `dtypes`.
  template <class Fn>
  bool supports(const KernelKey<Fn>& key, DTypeMask dtypes) const {
    const size_t s = key.slot();
    return s < slots_.size() && slots_[s].fn != nullptr && (slots_[s].unsupported & dtypes) == 0;
  }
  /// Names of the registered kernels, sorted.
  std::vector<std::string> names() const;

 private:
  struct Slot {
    void (*fn)() = nullptr;  // a Fn* of the key's signature (checked at set())
    DTypeMask unsupported = 0;
    void (*decline)() = nullptr;
    void (*direct)() = nullptr;  // fn when nothing needs checking, else nullptr
  };
  std::vector<Slot> slots_;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual DeviceInfo info() const = 0;
  virtual BufferAllocator& buffers() = 0;
  virtual Stream& stream() = 0;
  KernelTable& kernels() { return kernels_; }
  const KernelTable& kernels() const { return kernels_; }
  /// Whether this backend runs the kernel of key itself for operands of these dtypes (as
  /// ggml's supports_op); otherwise the dispatcher runs it on the CPU (core/fallback.h).
  /// Cheap: a bit test against the mask the backend registered.
  template <class Fn, class... D>
  bool supports(const KernelKey<Fn>& key, D... dtypes) const {
    return kernels_.supports(key, (DTypeMask{0} | ... | dtype_bit(dtypes)));
  }
  /// Whether this backend's conv2d and fused batch-norm kernels take channels-last activations
  /// (core/memory_format.h) as well as contiguous NCHW ones. Default: NCHW only.
  virtual bool takes_channels_last() const { return false; }
  /// Whether conv2d should produce channels-last outputs of dtype t here, because the kernels
  /// are faster so (only consulted when takes_channels_last()).
  virtual bool prefers_channels_last(DType) const { return false; }

 private:
  KernelTable kernels_;
};

// ---- registry ----------------------------------------------------------------------------
/// Adds a backend (called from each backend's register_*()).
void register_backend(std::unique_ptr<Backend> b);
/// The backend for a device; throws ember::Error naming the available devices otherwise.
Backend& get_backend(const Device& d);
/// All registered backends (registering the built ones on first use).
std::vector<Backend*> all_backends();
/// Records what a backend's register_*() found (called once per backend from
/// register_all_backends(); a later report for the same name replaces the earlier one).
void report_backend_status(BackendStatus status);
/// Defined above core (src/backends/register_all.cpp): registers every built backend.
void register_all_backends();

}  // namespace ember
