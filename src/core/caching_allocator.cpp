// The shared caching allocator (see caching_allocator.h): size classes, free lists, statistics.
#include "core/caching_allocator.h"

#include <algorithm>
#include <bit>

#include "ember/error.h"

namespace ember {
namespace {

size_t align_up(size_t n, size_t granule) { return (n + granule - 1) / granule * granule; }

}  // namespace

CachingAllocator::CachingAllocator(const SizeClassPolicy& p) : policy_(p) {
  EMBER_CHECK(std::has_single_bit(p.min_block) && std::has_single_bit(p.small_max) && p.min_block <= p.small_max &&
                  p.large_granule > 0 &&
                  (p.small_granule == 0 || (p.small_max % p.small_granule == 0 && p.min_block % p.small_granule == 0)),
              "CachingAllocator: inconsistent size-class policy");
  // Powers of two are indexed by log2, granules by multiple: either way a flat array.
  small_.resize(p.small_granule ? p.small_max / p.small_granule + 1 : 64);
}

size_t CachingAllocator::round(size_t n) const {
  if (n <= policy_.min_block) return policy_.min_block;
  if (n <= policy_.small_max) return policy_.small_granule ? align_up(n, policy_.small_granule) : std::bit_ceil(n);
  if (n > SIZE_MAX - policy_.large_granule) return SIZE_MAX;  // cannot be satisfied: raw_alloc fails
  return align_up(n, policy_.large_granule);
}

CachingAllocator::List* CachingAllocator::exact_list(size_t sz) {
  if (sz <= policy_.small_max)
    return &small_[policy_.small_granule ? sz / policy_.small_granule : static_cast<size_t>(std::countr_zero(sz))];
  auto it = large_.find(sz);
  return it == large_.end() ? nullptr : &it->second;
}

void* CachingAllocator::take_cached(size_t sz, size_t* got) {
  List* list = exact_list(sz);
  if (!(list && !list->empty()) && policy_.reuse_slack > 0) {
    // The smallest cached block of at most sz + sz/slack bytes.
    const size_t limit = sz + sz / policy_.reuse_slack;
    list = nullptr;
    for (size_t c = sz; !list && c <= std::min(limit, policy_.small_max);
         c = policy_.small_granule ? c + policy_.small_granule : c * 2) {
      List& l = small_[policy_.small_granule ? c / policy_.small_granule : static_cast<size_t>(std::countr_zero(c))];
      if (!l.empty()) list = &l, sz = c;
    }
    for (auto it = large_.lower_bound(sz); !list && it != large_.end() && it->first <= limit; ++it)
      if (!it->second.empty()) list = &it->second, sz = it->first;
  }
  if (!list || list->empty()) return nullptr;
  void* p = list->back();
  list->pop_back();
  *got = sz;
  return p;
}

void* CachingAllocator::allocate(size_t nbytes) {
  const size_t sz = round(nbytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.allocations;
    size_t got = 0;
    if (void* p = take_cached(sz, &got)) {
      ++stats_.cache_hits;
      stats_.cached_bytes -= got;
      stats_.in_use_bytes += got;
      stats_.peak_in_use_bytes = std::max(stats_.peak_in_use_bytes, stats_.in_use_bytes);
      return p;
    }
  }
  void* p = raw_alloc(sz);
  if (!p) {
    empty_cache();  // give the cached blocks back and try once more
    p = raw_alloc(sz);
    if (!p) out_of_memory(nbytes, stats());
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.raw_allocs;
  stats_.in_use_bytes += sz;
  stats_.peak_in_use_bytes = std::max(stats_.peak_in_use_bytes, stats_.in_use_bytes);
  return p;
}

void CachingAllocator::deallocate(void* block, size_t nbytes) {
  if (!block) return;
  const size_t sz = policy_.reuse_slack ? block_bytes(block, nbytes) : round(nbytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.in_use_bytes -= sz;
    if (stats_.cached_bytes + sz <= policy_.max_cached) {
      if (sz <= policy_.small_max)
        exact_list(sz)->push_back(block);
      else
        large_[sz].push_back(block);
      stats_.cached_bytes += sz;
      return;
    }
    ++stats_.raw_frees;
  }
  raw_free(block, sz);
}

size_t CachingAllocator::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_.cached_bytes;
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void CachingAllocator::empty_cache() {
  std::vector<std::pair<void*, size_t>> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t c = 0; c < small_.size(); ++c) {
      const size_t sz = policy_.small_granule ? c * policy_.small_granule : size_t{1} << c;
      for (void* p : small_[c]) blocks.emplace_back(p, sz);
      small_[c].clear();
    }
    for (auto& [sz, list] : large_)
      for (void* p : list) blocks.emplace_back(p, sz);
    large_.clear();
    stats_.cached_bytes = 0;
    stats_.raw_frees += blocks.size();
  }
  for (auto& [p, sz] : blocks) raw_free(p, sz);  // outside the lock: a device free may wait for the device
}

}  // namespace ember
