// Host memory of the CPU backend: the shared CachingAllocator over 64-byte aligned malloc, with
// per-thread stacks in front of it for the small blocks every op creates and destroys.
#pragma once
#include "core/caching_allocator.h"

namespace ember::cpu {

/// Size classes: powers of two from 64 B to 1 MiB, 64 KiB granules above; at most 2 GiB cached.
/// Blocks up to kThreadMax come and go through a per-thread stack without taking the mutex;
/// the shared allocator counts such parked blocks as in use, and a thread's stack is freed when
/// the thread exits. Thread-safe.
class HostAllocator : public CachingAllocator {
 public:
  HostAllocator();
  ~HostAllocator() override;
  void* allocate(size_t nbytes) override;
  void deallocate(void* block, size_t nbytes) override;
  /// Also frees the calling thread's stack of small blocks.
  void empty_cache() override;
  void copy_from_host(void* dst, size_t dst_offset, const void* src, size_t nbytes) override;
  void copy_to_host(void* dst, const void* src, size_t src_offset, size_t nbytes) override;
  void copy_within(void* dst, size_t dst_offset, const void* src, size_t src_offset, size_t nbytes) override;
  static constexpr size_t kThreadMax = 4096;

 protected:
  void* raw_alloc(size_t bytes) override;
  void raw_free(void* block, size_t bytes) noexcept override;
  [[noreturn]] void out_of_memory(size_t requested, const AllocatorStats& stats) override;
};

}  // namespace ember::cpu
