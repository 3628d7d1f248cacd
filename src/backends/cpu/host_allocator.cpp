// The CPU backend's host allocator (see host_allocator.h).
#include "backends/cpu/host_allocator.h"

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace ember::cpu {
namespace {

constexpr size_t kMinBlock = 64;
constexpr int kMinLog = 6;  // log2(kMinBlock)

/// Per-thread stacks of free blocks of 64 B .. HostAllocator::kThreadMax, one per power of two.
/// Blocks are plain aligned_alloc memory, so the thread frees its stacks when it exits without
/// touching the allocator (which static destruction may already have taken).
constexpr int kThreadClasses = 12 - kMinLog + 1, kThreadDepth = 8;
struct ThreadCache {
  void* blocks[kThreadClasses][kThreadDepth];
  uint8_t count[kThreadClasses];
  bool closed;
  void drain() {
    for (int c = 0; c < kThreadClasses; ++c)
      while (count[c] > 0) std::free(blocks[c][--count[c]]);
  }
};

ThreadCache& thread_cache() {
  thread_local ThreadCache tc{};  // trivially destructible: usable until the thread ends
  struct Guard {
    ~Guard() {
      tc.drain();
      tc.closed = true;
    }
  };
  thread_local Guard guard;
  (void)guard;
  return tc;
}

/// The thread-stack class of a request, or -1 when it is too large for the stacks.
int thread_class(size_t nbytes) {
  if (nbytes > HostAllocator::kThreadMax) return -1;
  return nbytes <= kMinBlock ? 0 : std::countr_zero(std::bit_ceil(nbytes)) - kMinLog;
}

SizeClassPolicy host_policy() {
  SizeClassPolicy p;
  p.min_block = kMinBlock;
  p.small_max = size_t{1} << 20;
  p.large_granule = size_t{64} << 10;
  p.max_cached = size_t{2} << 30;
  return p;
}

}  // namespace

HostAllocator::HostAllocator() : CachingAllocator(host_policy()) {}

HostAllocator::~HostAllocator() { empty_cache(); }

void* HostAllocator::allocate(size_t nbytes) {
  const int cls = thread_class(nbytes);
  if (cls >= 0) {
    ThreadCache& tc = thread_cache();
    if (tc.count[cls] > 0) return tc.blocks[cls][--tc.count[cls]];
  }
  return CachingAllocator::allocate(nbytes);
}

void HostAllocator::deallocate(void* block, size_t nbytes) {
  if (!block) return;
  const int cls = thread_class(nbytes);
  if (cls >= 0) {
    ThreadCache& tc = thread_cache();
    if (!tc.closed && tc.count[cls] < kThreadDepth) {
      tc.blocks[cls][tc.count[cls]++] = block;
      return;
    }
  }
  CachingAllocator::deallocate(block, nbytes);
}

void HostAllocator::empty_cache() {
  ThreadCache& tc = thread_cache();
  for (int c = 0; c < kThreadClasses; ++c)  // back through the shared allocator, so it counts them
    while (tc.count[c] > 0) CachingAllocator::deallocate(tc.blocks[c][--tc.count[c]], kMinBlock << c);
  CachingAllocator::empty_cache();
}

void* HostAllocator::raw_alloc(size_t bytes) { return std::aligned_alloc(64, bytes); }

void HostAllocator::raw_free(void* block, size_t) noexcept { std::free(block); }

void HostAllocator::out_of_memory(size_t requested, const AllocatorStats&) {
  EMBER_FAIL("cpu: out of memory allocating ", requested, " bytes");
}

void HostAllocator::copy_from_host(void* dst, size_t off, const void* src, size_t n) {
  if (n) std::memcpy(static_cast<char*>(dst) + off, src, n);
}

void HostAllocator::copy_to_host(void* dst, const void* src, size_t off, size_t n) {
  if (n) std::memcpy(dst, static_cast<const char*>(src) + off, n);
}

void HostAllocator::copy_within(void* dst, size_t doff, const void* src, size_t soff, size_t n) {
  if (n) std::memmove(static_cast<char*>(dst) + doff, static_cast<const char*>(src) + soff, n);
}

}  // namespace ember::cpu
