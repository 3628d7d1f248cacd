// The OpenCL device allocator (raw buffers for the shared caching allocator) and host<->device
// copies.
#include "buffers.h"

#include <string>

namespace ember::opencl {

namespace {

/// The error of this thread's last clCreateBuffer that ran out of memory (for out_of_memory).
thread_local cl_int last_alloc_error = CL_MEM_OBJECT_ALLOCATION_FAILURE;

}  // namespace

CachingClAllocator::CachingClAllocator(ClDevice& dev)
    : CachingAllocator({.min_block = 256, .small_max = size_t{1} << 20, .large_granule = size_t{1} << 20,
                        .max_cached = size_t{1} << 30}),
      dev_(dev) {}

CachingClAllocator::~CachingClAllocator() { empty_cache(); }

void* CachingClAllocator::raw_alloc(size_t bytes) {
  cl_int err = CL_SUCCESS;
  cl_mem mem = clCreateBuffer(dev_.context()(), CL_MEM_READ_WRITE, bytes, nullptr, &err);
  if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES || err == CL_OUT_OF_HOST_MEMORY ||
      err == CL_INVALID_BUFFER_SIZE) {
    last_alloc_error = err;
    return nullptr;  // the caller empties the cache and retries once
  }
  check(err, ("allocating " + std::to_string(bytes) + " bytes on opencl:" + std::to_string(dev_.index())).c_str());
  return new ClBuffer{mem, &dev_, bytes};
}

void CachingClAllocator::raw_free(void* block, size_t) noexcept {
  auto* b = static_cast<ClBuffer*>(block);
  clReleaseMemObject(b->mem);  // the runtime keeps it alive until queued kernels finish
  delete b;
}

void CachingClAllocator::out_of_memory(size_t requested, const AllocatorStats&) {
  cl_int err = last_alloc_error;
  if (err == CL_INVALID_BUFFER_SIZE) err = CL_MEM_OBJECT_ALLOCATION_FAILURE;  // larger than the device allows
  const std::string what = "allocating " + std::to_string(requested) + " bytes on opencl:" + std::to_string(dev_.index());
  check(err, what.c_str());
  EMBER_FAIL("opencl: ", what, " failed: out of memory");  // not reached: err is an error
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

}  // namespace ember::opencl
