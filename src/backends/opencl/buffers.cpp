// The OpenCL caching allocator and host<->device copies.
#include "buffers.h"

#include <bit>

namespace ember::opencl {

namespace {
constexpr size_t kMaxCached = size_t{1} << 30;  // beyond this, freed buffers are released
}

size_t CachingClAllocator::round(size_t n) {
  if (n <= 256) return 256;
  if (n <= (size_t{1} << 20)) return std::bit_ceil(n);
  return (n + ((size_t{1} << 20) - 1)) & ~((size_t{1} << 20) - 1);  // 1 MiB granules above 1 MiB
}

CachingClAllocator::~CachingClAllocator() { empty_cache(); }

void* CachingClAllocator::allocate(size_t nbytes) {
  const size_t sz = round(nbytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(sz);
    if (it != free_.end() && !it->second.empty()) {
      ClBuffer* b = it->second.back();
      it->second.pop_back();
      cached_ -= sz;
      live_ += sz;
      return b;
    }
  }
  cl_int err = CL_SUCCESS;
  cl_mem mem = clCreateBuffer(dev_.context()(), CL_MEM_READ_WRITE, sz, nullptr, &err);
  if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES || err == CL_OUT_OF_HOST_MEMORY ||
      err == CL_INVALID_BUFFER_SIZE) {
    empty_cache();  // give the cached buffers back and try once more
    mem = clCreateBuffer(dev_.context()(), CL_MEM_READ_WRITE, sz, nullptr, &err);
  }
  if (err == CL_INVALID_BUFFER_SIZE) err = CL_MEM_OBJECT_ALLOCATION_FAILURE;  // larger than the device allows
  check(err, ("allocating " + std::to_string(nbytes) + " bytes on opencl:" + std::to_string(dev_.index())).c_str());
  std::lock_guard<std::mutex> lock(mu_);
  live_ += sz;
  return new ClBuffer{mem, &dev_, sz};
}

void CachingClAllocator::deallocate(void* buffer, size_t) {
  if (!buffer) return;
  auto* b = static_cast<ClBuffer*>(buffer);
  std::lock_guard<std::mutex> lock(mu_);
  live_ -= b->size;
  if (cached_ + b->size > kMaxCached) {
    clReleaseMemObject(b->mem);  // the runtime keeps it alive until queued kernels finish
    delete b;
    return;
  }
  free_[b->size].push_back(b);  // the in-order queue orders its reuse after earlier kernels
  cached_ += b->size;
}

void CachingClAllocator::copy_from_host(void* dst, size_t off, const void* src, size_t n) {
  if (n == 0) return;
  check(clEnqueueWriteBuffer(dev_.queue()(), static_cast<ClBuffer*>(dst)->mem, CL_TRUE, off, n, src, 0, nullptr, nullptr),
        "copying to the device");
}

void CachingClAllocator::copy_to_host(void* dst, const void* src, size_t off, size_t n) {
  if (n == 0) return;
  auto* b = static_cast<ClBuffer*>(const_cast<void*>(src));
  check(clEnqueueReadBuffer(dev_.queue()(), b->mem, CL_TRUE, off, n, dst, 0, nullptr, nullptr),
        "copying from the device");
}

void CachingClAllocator::copy_within(void* dst, size_t doff, const void* src, size_t soff, size_t n) {
  if (n == 0) return;
  auto* s = static_cast<ClBuffer*>(const_cast<void*>(src));
  auto* d = static_cast<ClBuffer*>(dst);
  check(clEnqueueCopyBuffer(dev_.queue()(), s->mem, d->mem, soff, doff, n, 0, nullptr, nullptr),
        "copying within the device");
}

size_t CachingClAllocator::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cached_;
}

size_t CachingClAllocator::live_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_;
}

void CachingClAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [sz, list] : free_)
    for (ClBuffer* b : list) {
      clReleaseMemObject(b->mem);
      delete b;
    }
  free_.clear();
  cached_ = 0;
}

}  // namespace ember::opencl
