// The abstract backend interface, split by role (as ggml's ggml-backend-impl.h):
// device info, buffers (allocation + copies), stream (ordering/sync), and a kernel table.
// Concrete backends (src/backends/*) implement it from above; core never includes them.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/device_info.h"
#include "ember/error.h"

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

/// The process-wide slot of a kernel name: a small integer assigned on first use and never
/// reused. Hot call sites resolve a name once (ops::KernelRef) and then look kernels up by
/// index instead of hashing the name on every call. Thread-safe.
size_t kernel_slot(const std::string& name);
/// The name behind a slot returned by kernel_slot().
std::string kernel_slot_name(size_t slot);

/// Maps a kernel name to a function of a fixed signature. Each op family declares its
/// signatures in src/core/kernels/<family>.h; a backend fills in the ones it implements.
/// Entries live in a vector indexed by kernel_slot(name). Filled at registration, read-only after.
class KernelTable {
 public:
  template <class Fn>
  void set(const std::string& name, Fn* fn) {
    const size_t s = kernel_slot(name);
    if (s >= slots_.size()) slots_.resize(s + 1);
    slots_[s] = Entry{&typeid(Fn), reinterpret_cast<void (*)()>(fn)};
  }
  /// nullptr when the backend lacks the kernel. Throws if registered with another signature.
  template <class Fn>
  Fn* find(const std::string& name) const {
    return find<Fn>(kernel_slot(name));
  }
  /// Same, by slot (see kernel_slot()).
  template <class Fn>
  Fn* find(size_t slot) const {
    if (slot >= slots_.size() || slots_[slot].fn == nullptr) return nullptr;
    const Entry& e = slots_[slot];
    EMBER_CHECK(*e.type == typeid(Fn), "kernel '", kernel_slot_name(slot),
                "' was registered with a different signature");
    return reinterpret_cast<Fn*>(e.fn);
  }
  /// Names of the registered kernels, sorted.
  std::vector<std::string> names() const;

 private:
  struct Entry {
    const std::type_info* type = nullptr;
    void (*fn)() = nullptr;
  };
  std::vector<Entry> slots_;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual DeviceInfo info() const = 0;
  virtual BufferAllocator& buffers() = 0;
  virtual Stream& stream() = 0;
  KernelTable& kernels() { return kernels_; }
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
