// Device memory for the CUDA backend: a caching allocator (freed blocks are kept and reused, so
// a training step never calls cudaMalloc/cudaFree) and pinned host staging buffers through
// which host<->device copies go asynchronously on the device's stream.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <map>
#include <mutex>

#include "backends/cuda/device_context.h"
#include "core/backend.h"

namespace ember::cuda {

/// A small ring of pinned host buffers with an event each. upload() copies the host data into
/// a free buffer and enqueues the transfer (the caller's memory is free to change on return);
/// download() enqueues transfers and waits only for its own chunks.
class PinnedStaging {
 public:
  static constexpr size_t kChunk = size_t{2} << 20;
  static constexpr int kSlots = 4;
  explicit PinnedStaging(int device) : device_(device) {}
  void upload(cudaStream_t s, void* dst_device, const void* src_host, size_t n);
  void download(cudaStream_t s, void* dst_host, const void* src_device, size_t n);

 private:
  struct Slot {
    void* host = nullptr;
    cudaEvent_t done = nullptr;
    bool pending = false;
  };
  Slot& acquire();  // the next slot, waited for (caller holds mu_)
  int device_;
  std::mutex mu_;
  Slot slots_[kSlots];
  int next_ = 0;
};

/// Caching allocator of one device. Handles are DeviceBuffer* (see device_context.h).
/// Requests round up (512 B granules up to 1 MiB, 128 KiB above) and reuse the smallest
/// cached block that is at most 25% larger. All work on a device runs on its one stream, so a
/// freed block may be handed out again at once: later users are ordered after earlier ones.
/// When cudaMalloc fails the cache is released and the allocation retried once.
class CachingDeviceAllocator : public BufferAllocator {
 public:
  CachingDeviceAllocator(DeviceContext& ctx) : ctx_(ctx), staging_(ctx.device()) {}
  void* allocate(size_t nbytes) override;
  void deallocate(void* buffer, size_t nbytes) override;
  void copy_from_host(void* dst, size_t dst_offset, const void* src, size_t nbytes) override;
  void copy_to_host(void* dst, const void* src, size_t src_offset, size_t nbytes) override;
  void copy_within(void* dst, size_t dst_offset, const void* src, size_t src_offset, size_t nbytes) override;
  size_t cached_bytes() const override;
  void empty_cache() override;
  /// Bytes held by live tensors (rounded sizes).
  size_t in_use_bytes() const;
  /// The rounded size a request of n bytes occupies.
  static size_t round_size(size_t n);

 private:
  DeviceContext& ctx_;
  PinnedStaging staging_;
  mutable std::mutex mu_;
  std::multimap<size_t, DeviceBuffer*> free_;
  size_t cached_ = 0, in_use_ = 0;
};

}  // namespace ember::cuda
