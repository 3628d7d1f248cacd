// The shared caching allocator (src/core/caching_allocator.h) over a fake device: size-class
// rounding under each backend's policy, reuse of freed blocks (exact classes and the CUDA
// style "at most 25% larger"), statistics, the cap on cached bytes, empty_cache, the retry
// after an out-of-memory, thread safety; and the CPU backend's host allocator built on it.
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "core/caching_allocator.h"
#include "harness/op_harness.h"

using namespace ember;

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * 1024;

SizeClassPolicy pow2_policy(size_t min_block, size_t large_granule) {
  SizeClassPolicy p;
  p.min_block = min_block;
  p.large_granule = large_granule;
  return p;
}

/// A device of `capacity` bytes backed by malloc; remembers each block's size.
class FakeDevice : public CachingAllocator {
 public:
  explicit FakeDevice(const SizeClassPolicy& p, size_t capacity = SIZE_MAX) : CachingAllocator(p), capacity_(capacity) {}
  ~FakeDevice() override { empty_cache(); }
  void copy_from_host(void* dst, size_t off, const void* src, size_t n) override { std::memcpy(static_cast<char*>(dst) + off, src, n); }
  void copy_to_host(void* dst, const void* src, size_t off, size_t n) override { std::memcpy(dst, static_cast<const char*>(src) + off, n); }
  void copy_within(void*, size_t, const void*, size_t, size_t) override {}
  size_t raw_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return raw_bytes_;
  }

 protected:
  void* raw_alloc(size_t bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes > capacity_ - raw_bytes_) return nullptr;
    void* p = std::malloc(bytes);
    raw_bytes_ += bytes;
    sizes_[p] = bytes;
    return p;
  }
  void raw_free(void* block, size_t bytes) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(sizes_[block], bytes);
    raw_bytes_ -= bytes;
    sizes_.erase(block);
    std::free(block);
  }
  void out_of_memory(size_t requested, const AllocatorStats& s) override {
    EMBER_FAIL("fake: out of memory for ", requested, " bytes (", s.in_use_bytes, " in use)");
  }
  size_t block_bytes(const void* block, size_t) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return sizes_.at(const_cast<void*>(block));
  }

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  size_t raw_bytes_ = 0;
  std::map<void*, size_t> sizes_;
};

}  // namespace

TEST(CachingAllocator, RoundsToEachBackendsSizeClasses) {
  FakeDevice cpu(pow2_policy(64, 64 * KiB));  // the CPU's policy
  EXPECT_EQ(cpu.round(0), 64u);
  EXPECT_EQ(cpu.round(64), 64u);
  EXPECT_EQ(cpu.round(65), 128u);
  EXPECT_EQ(cpu.round(1000), 1024u);
  EXPECT_EQ(cpu.round(MiB), MiB);
  EXPECT_EQ(cpu.round(MiB + 1), MiB + 64 * KiB);
  FakeDevice cl(pow2_policy(256, MiB));  // OpenCL's
  EXPECT_EQ(cl.round(1), 256u);
  EXPECT_EQ(cl.round(300), 512u);
  EXPECT_EQ(cl.round(MiB + 1), 2 * MiB);
  SizeClassPolicy g;  // CUDA's: 512 B granules up to 1 MiB, 128 KiB above
  g.min_block = 512;
  g.small_granule = 512;
  g.large_granule = 128 * KiB;
  FakeDevice cuda(g);
  EXPECT_EQ(cuda.round(0), 512u);
  EXPECT_EQ(cuda.round(513), 1024u);
  EXPECT_EQ(cuda.round(3000), 3072u);
  EXPECT_EQ(cuda.round(MiB), MiB);
  EXPECT_EQ(cuda.round(MiB + 1), MiB + 128 * KiB);
}

TEST(CachingAllocator, ReusesAFreedBlockOfTheSameClassAndCountsIt) {
  FakeDevice a(pow2_policy(256, MiB));
  void* first = a.allocate(1000);
  a.deallocate(first, 1000);
  EXPECT_EQ(a.cached_bytes(), 1024u);
  void* second = a.allocate(900);  // same class
  EXPECT_EQ(second, first);
  EXPECT_EQ(a.cached_bytes(), 0u);
  void* other = a.allocate(2000);  // another class: a new block
  EXPECT_NE(other, first);
  AllocatorStats s = a.stats();
  EXPECT_EQ(s.allocations, 3u);
  EXPECT_EQ(s.cache_hits, 1u);
  EXPECT_EQ(s.raw_allocs, 2u);
  EXPECT_EQ(s.in_use_bytes, 1024u + 2048u);
  EXPECT_EQ(s.peak_in_use_bytes, 1024u + 2048u);
  a.deallocate(second, 900);
  a.deallocate(other, 2000);
  a.deallocate(nullptr, 5);  // ignored
  s = a.stats();
  EXPECT_EQ(s.in_use_bytes, 0u);
  EXPECT_EQ(s.cached_bytes, 3072u);
  EXPECT_EQ(s.peak_in_use_bytes, 3072u);
  void* large = a.allocate(3 * MiB + 5);  // large classes are reused too
  a.deallocate(large, 3 * MiB + 5);
  EXPECT_EQ(a.allocate(3 * MiB + 100), large);
  a.deallocate(large, 3 * MiB + 100);
}

TEST(CachingAllocator, EmptyCacheGivesEveryCachedBlockBack) {
  FakeDevice a(pow2_policy(64, 64 * KiB));
  std::vector<std::pair<void*, size_t>> blocks;
  for (size_t n : {10, 100, 1000, 5000, 70000, 2000000, 2000000}) blocks.emplace_back(a.allocate(n), n);
  void* kept = a.allocate(300);
  for (auto& [p, n] : blocks) a.deallocate(p, n);
  EXPECT_GT(a.cached_bytes(), 4 * MiB);
  a.empty_cache();
  EXPECT_EQ(a.cached_bytes(), 0u);
  EXPECT_EQ(a.raw_bytes(), 512u);  // only the live block
  EXPECT_EQ(a.stats().raw_frees, blocks.size());
  a.deallocate(kept, 300);
  a.empty_cache();
  EXPECT_EQ(a.raw_bytes(), 0u);
  a.empty_cache();  // nothing to do
}

TEST(CachingAllocator, BlocksBeyondTheCapGoBackToTheDevice) {
  SizeClassPolicy p = pow2_policy(256, MiB);
  p.max_cached = 2048;
  FakeDevice a(p);
  void* b[3] = {a.allocate(1024), a.allocate(1024), a.allocate(1024)};
  for (void* x : b) a.deallocate(x, 1024);
  EXPECT_EQ(a.cached_bytes(), 2048u);
  EXPECT_EQ(a.raw_bytes(), 2048u);
  EXPECT_EQ(a.stats().raw_frees, 1u);
}

TEST(CachingAllocator, SlackTakesTheSmallestCachedBlockAtMostAQuarterLarger) {
  SizeClassPolicy p;  // CUDA's policy
  p.min_block = 512;
  p.small_granule = 512;
  p.large_granule = 128 * KiB;
  p.reuse_slack = 4;
  FakeDevice a(p);
  void* big = a.allocate(MiB + 200 * KiB);  // a 1.25 MiB block
  void* mid = a.allocate(4096);
  a.deallocate(big, MiB + 200 * KiB);
  a.deallocate(mid, 4096);
  EXPECT_EQ(a.allocate(3500), mid);  // 3584 B wants at most 4480 B: the 4 KiB block
  EXPECT_EQ(a.stats().in_use_bytes, 4096u);
  EXPECT_NE(a.allocate(512 * KiB), big);  // far smaller: a new block
  void* again = a.allocate(MiB);  // 1 MiB may take up to 1.25 MiB
  EXPECT_EQ(again, big);
  a.deallocate(again, MiB);  // the block keeps its real size
  AllocatorStats s = a.stats();
  EXPECT_EQ(s.cached_bytes, MiB + 256 * KiB);
  EXPECT_EQ(s.in_use_bytes, 4096u + 512 * KiB);
}

TEST(CachingAllocator, OutOfMemoryEmptiesTheCacheRetriesThenThrows) {
  FakeDevice a(pow2_policy(256, MiB), 4096);
  void* small = a.allocate(2048);
  a.deallocate(small, 2048);  // cached: the device is half full
  void* whole = a.allocate(4096);  // fails, empties the cache, succeeds
  EXPECT_NE(whole, nullptr);
  EXPECT_EQ(a.cached_bytes(), 0u);
  EXPECT_EMBER_ERROR(a.allocate(8192), "fake: out of memory", "8192", "4096 in use");
  a.deallocate(whole, 4096);
  EXPECT_EQ(a.stats().in_use_bytes, 0u);
  EXPECT_EMBER_ERROR(a.allocate(SIZE_MAX - 3), "fake: out of memory");  // rounding would overflow
}

TEST(CachingAllocator, ManyThreadsKeepTheBooksStraight) {
  FakeDevice a(pow2_policy(64, 64 * KiB));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&a, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::vector<std::pair<void*, size_t>> live;
      for (int i = 0; i < 3000; ++i) {
        if (live.size() < 16 && rng() % 2) {
          const size_t n = 1 + rng() % (rng() % 8 ? 5000 : 3000000);
          void* p = a.allocate(n);
          std::memset(p, t, std::min<size_t>(n, 64));  // the memory is ours alone
          live.emplace_back(p, n);
        } else if (!live.empty()) {
          auto [p, n] = live.back();
          live.pop_back();
          EXPECT_EQ(static_cast<unsigned char*>(p)[0], static_cast<unsigned char>(t));
          a.deallocate(p, n);
        }
      }
      for (auto& [p, n] : live) a.deallocate(p, n);
    });
  for (auto& th : threads) th.join();
  const AllocatorStats s = a.stats();
  EXPECT_EQ(s.in_use_bytes, 0u);
  EXPECT_EQ(s.cached_bytes, a.raw_bytes());
  EXPECT_EQ(s.raw_frees, 0u);  // no cap: nothing went back yet
  a.empty_cache();
  EXPECT_EQ(a.raw_bytes(), 0u);
}

TEST(CachingAllocator, TheCpuBackendsHostMemoryUsesIt) {
  auto* host = dynamic_cast<CachingAllocator*>(&get_backend(Device("cpu")).buffers());
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->round(1000), 1024u);
  EXPECT_EQ(host->round(MiB + 1), MiB + 64 * KiB);
  // Large blocks go through the shared lists; small ones through the thread's own stack, also
  // from threads that exit with blocks on it.
  void* p = host->allocate(100000);
  host->deallocate(p, 100000);
  EXPECT_EQ(host->allocate(90000), p);
  host->deallocate(p, 90000);
  std::thread([host] {
    for (int i = 0; i < 100; ++i) {
      void* a = host->allocate(100);
      void* b = host->allocate(3000);
      std::memset(b, 1, 3000);
      host->deallocate(a, 100);
      host->deallocate(b, 3000);
    }
  }).join();
  void* q = host->allocate(64);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q) % 64, 0u);
  host->deallocate(q, 64);
  host->empty_cache();
  EXPECT_EQ(host->cached_bytes(), 0u);
}
