// The abstract backend interface, split by role (as ggml's ggml-backend-impl.h):
// device info, buffers (allocation + copies), stream (ordering/sync), and a kernel table.
// Concrete backends (src/backends/*) implement it from above; core never includes them.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "ember/device.h"
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

/// Maps a kernel name to a function of a fixed signature. Each op family declares its
/// signatures in src/core/kernels/<family>.h; a backend fills in the ones it implements.
class KernelTable {
 public:
  template <class Fn>
  void set(const std::string& name, Fn* fn) {
    map_.insert_or_assign(name, Entry{std::type_index(typeid(Fn)), reinterpret_cast<void (*)()>(fn)});
  }
  /// nullptr when the backend lacks the kernel. Throws if registered with another signature.
  template <class Fn>
  Fn* find(const std::string& name) const {
    auto it = map_.find(name);
    if (it == map_.end()) return nullptr;
    EMBER_CHECK(it->second.type == std::type_index(typeid(Fn)),
                "kernel '", name, "' was registered with a different signature");
    return reinterpret_cast<Fn*>(it->second.fn);
  }
  std::vector<std::string> names() const;

 private:
  struct Entry {
    std::type_index type;
    void (*fn)();
  };
  std::unordered_map<std::string, Entry> map_;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual DeviceInfo info() const = 0;
  virtual BufferAllocator& buffers() = 0;
  virtual Stream& stream() = 0;
  KernelTable& kernels() { return kernels_; }

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
/// Defined above core (src/backends/register_all.cpp): registers every built backend.
void register_all_backends();

}  // namespace ember
