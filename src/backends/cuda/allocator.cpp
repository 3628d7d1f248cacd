// The CUDA device allocator (raw blocks for the shared caching allocator) and the pinned
// staging ring for host<->device copies.
#include "backends/cuda/allocator.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <string>

namespace ember::cuda {

// ---- pinned staging -------------------------------------------------------------------------

PinnedStaging::Slot& PinnedStaging::acquire() {
  Slot& s = slots_[next_];
  next_ = (next_ + 1) % kSlots;
  if (!s.host) {
    EMBER_CUDA_CHECK(cudaHostAlloc(&s.host, kChunk, cudaHostAllocDefault), "allocating pinned staging memory");
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming), "creating a staging event");
  }
  if (s.pending) {
    EMBER_CUDA_CHECK(cudaEventSynchronize(s.done), "waiting for a host<->device copy");
    s.pending = false;
  }
  return s;
}

void PinnedStaging::upload(cudaStream_t stream, void* dst, const void* src, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t done = 0; done < n;) {
    const size_t len = std::min(kChunk, n - done);
    Slot& s = acquire();
    std::memcpy(s.host, static_cast<const char*>(src) + done, len);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + done, s.host, len, cudaMemcpyHostToDevice, stream),
                     "copying host memory to the device");
    EMBER_CUDA_CHECK(cudaEventRecord(s.done, stream), "recording a copy event");
    s.pending = true;
    done += len;
  }
}

void PinnedStaging::download(cudaStream_t stream, void* dst, const void* src, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  struct InFlight {
    Slot* slot;
    size_t at, len;
  };
  std::deque<InFlight> inflight;
  auto finish_oldest = [&] {
    InFlight f = inflight.front();
    inflight.pop_front();
    EMBER_CUDA_CHECK(cudaEventSynchronize(f.slot->done), "copying device memory to the host");
    f.slot->pending = false;
    std::memcpy(static_cast<char*>(dst) + f.at, f.slot->host, f.len);
  };
  for (size_t done = 0; done < n;) {
    if (static_cast<int>(inflight.size()) == kSlots) finish_oldest();  // frees the slot acquire() takes next
    const size_t len = std::min(kChunk, n - done);
    Slot& s = acquire();
    EMBER_CUDA_CHECK(cudaMemcpyAsync(s.host, static_cast<const char*>(src) + done, len, cudaMemcpyDeviceToHost, stream),
                     "copying device memory to the host");
    EMBER_CUDA_CHECK(cudaEventRecord(s.done, stream), "recording a copy event");
    s.pending = true;
    inflight.push_back({&s, done, len});
    done += len;
  }
  while (!inflight.empty()) finish_oldest();
}

// ---- caching allocator ----------------------------------------------------------------------

CachingDeviceAllocator::CachingDeviceAllocator(DeviceContext& ctx)
    : CachingAllocator({.min_block = 512, .small_max = size_t{1} << 20, .small_granule = 512,
                        .large_granule = size_t{128} << 10, .reuse_slack = 4}),  // reuse: at most 25% larger
      ctx_(ctx),
      staging_(ctx.device()) {}

void* CachingDeviceAllocator::raw_alloc(size_t bytes) {
  ctx_.stream();  // makes the device current (and initialises it on first use)
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    return nullptr;  // the caller empties the cache and retries once
  }
  if (e != cudaSuccess) fail(bytes, e, in_use_bytes());
  return new DeviceBuffer{p, bytes, ctx_.device()};
}

void CachingDeviceAllocator::raw_free(void* block, size_t) noexcept {
  auto* b = static_cast<DeviceBuffer*>(block);
  try {
    ctx_.stream();  // current device (it was initialised when the block was made)
  } catch (...) {
  }
  cudaFree(b->ptr);  // synchronises with the device, so no kernel still uses the block
  cudaGetLastError();
  delete b;
}

void CachingDeviceAllocator::out_of_memory(size_t requested, const AllocatorStats& stats) {
  fail(requested, cudaErrorMemoryAllocation, stats.in_use_bytes);
}

void CachingDeviceAllocator::fail(size_t nbytes, cudaError_t e, size_t in_use) const {
  cudaGetLastError();
  size_t free_b = 0, total_b = 0;
  cudaMemGetInfo(&free_b, &total_b);
  cudaGetLastError();
  EMBER_FAIL("cuda:", ctx_.device(), ": cannot allocate ", nbytes, " bytes: ", cudaGetErrorString(e), " (", in_use,
             " bytes held by tensors, ", free_b, " of ", total_b, " bytes free on the device)");
}

size_t CachingDeviceAllocator::block_bytes(const void* block, size_t) const {
  return static_cast<const DeviceBuffer*>(block)->bytes;
}

void CachingDeviceAllocator::copy_from_host(void* dst, size_t off, const void* src, size_t n) {
  if (n == 0) return;
  auto* b = static_cast<DeviceBuffer*>(dst);
  staging_.upload(ctx_.stream(), static_cast<char*>(b->ptr) + off, src, n);
}

void CachingDeviceAllocator::copy_to_host(void* dst, const void* src, size_t off, size_t n) {
  if (n == 0) return;
  auto* b = static_cast<const DeviceBuffer*>(src);
  staging_.download(ctx_.stream(), dst, static_cast<const char*>(b->ptr) + off, n);
}

void CachingDeviceAllocator::copy_within(void* dst, size_t doff, const void* src, size_t soff, size_t n) {
  if (n == 0) return;
  auto* d = static_cast<DeviceBuffer*>(dst);
  auto* s = static_cast<const DeviceBuffer*>(src);
  EMBER_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(d->ptr) + doff, static_cast<const char*>(s->ptr) + soff, n,
                                   cudaMemcpyDeviceToDevice, ctx_.stream()),
                   "copying within device memory");
}

}  // namespace ember::cuda
