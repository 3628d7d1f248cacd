// Device memory for the CUDA backend: the shared caching allocator (core/caching_allocator.h)
// over cudaMalloc/cudaFree, so a training step never calls them, and pinned host staging
// buffers through which host<->device copies go asynchronously on the device's stream.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <mutex>

#include "backends/cuda/device_context.h"
#include "core/caching_allocator.h"

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

/// Memory of one device: the shared CachingAllocator over cudaMalloc/cudaFree, plus copies.
/// Handles are DeviceBuffer* (see device_context.h). Requests round up (512 B granules up to
/// 1 MiB, 128 KiB above) and reuse the smallest cached block that is at most 25% larger; nothing
/// caps the cache. All work on a device runs on its one stream, so a freed block may be handed
/// out again at once: later users are ordered after earlier ones. Never destroyed (see
/// DeviceContext), so cached blocks live until the process exits or empty_cache().
class CachingDeviceAllocator : public CachingAllocator {
 public:
  explicit CachingDeviceAllocator(DeviceContext& ctx);
  void copy_from_host(void* dst, size_t dst_offset, const void* src, size_t nbytes) override;
  void copy_to_host(void* dst, const void* src, size_t src_offset, size_t nbytes) override;
  void copy_within(void* dst, size_t dst_offset, const void* src, size_t src_offset, size_t nbytes) override;
  /// Bytes held by live tensors (rounded sizes).
  size_t in_use_bytes() const { return stats().in_use_bytes; }

 protected:
  /// A block's real size: with reuse_slack it may exceed round(nbytes).
  size_t block_bytes(const void* block, size_t nbytes) const override;
  void* raw_alloc(size_t bytes) override;
  void raw_free(void* block, size_t bytes) noexcept override;
  [[noreturn]] void out_of_memory(size_t requested, const AllocatorStats& stats) override;

 private:
  /// Throws the error for a failed cudaMalloc of nbytes.
  [[noreturn]] void fail(size_t nbytes, cudaError_t e, size_t in_use) const;
  DeviceContext& ctx_;
  PinnedStaging staging_;
};

}  // namespace ember::cuda
