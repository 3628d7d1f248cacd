// The one caching allocator every backend uses: requests round up to size classes, freed blocks
// are kept per class and handed out again, so a training step does not reach the device's own
// allocator; statistics, a cap on cached bytes, empty_cache(), and one retry after emptying the
// cache when the device is out of memory. A backend derives from it and supplies only its raw
// block allocation (raw_alloc/raw_free), its out-of-memory error and its copies.
// Included by CUDA sources (nvcc): keep it to the standard library and core/backend.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "core/backend.h"

namespace ember {

/// How requests round up to size classes, how a cached block is matched, and how much is kept.
/// Requires: min_block and small_max are powers of two, min_block <= small_max; small_granule
/// is 0 or divides small_max (and min_block is a multiple of it); large_granule > 0.
struct SizeClassPolicy {
  size_t min_block = 256;                 // every block is at least this large
  size_t small_max = size_t{1} << 20;     // up to here: the small classes below
  size_t small_granule = 0;               // 0: powers of two up to small_max; else its multiples
  size_t large_granule = size_t{1} << 20; // above small_max: multiples of this
  /// 0: a request takes only a cached block of its own class. k > 0: it takes the smallest
  /// cached block at most size/k larger (4: up to 25% larger) when its own class is empty.
  unsigned reuse_slack = 0;
  size_t max_cached = SIZE_MAX;           // freed blocks beyond this many cached bytes are released
};

/// What a CachingAllocator holds and has done. Byte counts are rounded (block) sizes.
struct AllocatorStats {
  size_t in_use_bytes = 0;       // handed out and not yet deallocated
  size_t cached_bytes = 0;       // freed and kept for reuse
  size_t peak_in_use_bytes = 0;  // the most in_use_bytes has been (since construction)
  uint64_t allocations = 0;      // allocate() calls
  uint64_t cache_hits = 0;       // of which a cached block served
  uint64_t raw_allocs = 0;       // blocks obtained from the device
  uint64_t raw_frees = 0;        // blocks given back to the device
};

/// A BufferAllocator that caches freed blocks by size class. Thread-safe: one mutex guards the
/// free lists and statistics; raw_alloc/raw_free run outside it. A block may be handed out again
/// as soon as it is freed: backends with one in-order queue per device (all of ours) order its
/// next users after its previous ones. Derived classes call empty_cache() in their destructor
/// (the base cannot: raw_free is theirs) unless they are never destroyed.
class CachingAllocator : public BufferAllocator {
 public:
  explicit CachingAllocator(const SizeClassPolicy& policy);
  /// A block of at least nbytes (a cached one when one fits). Throws ember::Error (from
  /// out_of_memory) when the device has no room even after the cache was emptied.
  void* allocate(size_t nbytes) override;
  /// Returns a block from allocate(nbytes) (the same nbytes) to the cache, or to the device when
  /// the cache is full. A null block is ignored.
  void deallocate(void* block, size_t nbytes) override;
  size_t cached_bytes() const override;
  /// Gives every cached block back to the device.
  void empty_cache() override;
  AllocatorStats stats() const;
  /// The block size a request of n bytes gets under the policy.
  size_t round(size_t n) const;
  const SizeClassPolicy& policy() const { return policy_; }

 protected:
  /// A new device block of exactly `bytes` (a rounded size), or nullptr when the device is out
  /// of memory (the allocator then empties its cache and asks once more). Other failures throw.
  virtual void* raw_alloc(size_t bytes) = 0;
  /// Gives a block from raw_alloc(bytes) back to the device. Must not throw.
  virtual void raw_free(void* block, size_t bytes) noexcept = 0;
  /// Throws the backend's error for a request of `requested` bytes that found no memory even
  /// after empty_cache(); `stats` is the state at that moment.
  [[noreturn]] virtual void out_of_memory(size_t requested, const AllocatorStats& stats) = 0;
  /// The size of a block this allocator handed out. Needed only when policy().reuse_slack > 0
  /// (a block may then be larger than round(nbytes)); the default says round(nbytes).
  virtual size_t block_bytes(const void* /*block*/, size_t nbytes) const { return round(nbytes); }

 private:
  using List = std::vector<void*>;
  List* exact_list(size_t sz);               // the free list of class sz, or null (mu_ held)
  void* take_cached(size_t sz, size_t* got);  // a cached block for class sz, or null (mu_ held)
  SizeClassPolicy policy_;
  mutable std::mutex mu_;
  std::vector<List> small_;        // by class index (see exact_list)
  std::map<size_t, List> large_;   // by block size; emptied lists stay (no node churn)
  AllocatorStats stats_;
};

}  // namespace ember
