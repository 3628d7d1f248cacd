// Device memory of the OpenCL backend: the buffer handle kernels receive (TensorArg::data is a
// ClBuffer*), the shared caching allocator (core/caching_allocator.h) over clCreateBuffer so a
// training step does not call it, and blocking host<->device copies on the device's queue.
#pragma once
#include "cl_device.h"
#include "core/caching_allocator.h"
#include "core/kernels/tensor_arg.h"

namespace ember::opencl {

/// What TensorArg::data points to for an OpenCL tensor.
struct ClBuffer {
  cl_mem mem = nullptr;
  ClDevice* device = nullptr;
  size_t size = 0;  // bytes actually allocated (>= the request)
};

/// The buffer behind an OpenCL tensor argument. Requires: a is on an OpenCL device.
inline ClBuffer& buffer_of(const TensorArg& a) { return *static_cast<ClBuffer*>(a.data); }

/// Memory of one OpenCL device: the shared CachingAllocator over clCreateBuffer (powers of two
/// from 256 B to 1 MiB, 1 MiB granules above, at most 1 GiB cached), handles ClBuffer*, plus
/// blocking host<->device copies on the device's in-order queue (which also orders a reused
/// buffer's new users after its old ones).
class CachingClAllocator : public CachingAllocator {
 public:
  explicit CachingClAllocator(ClDevice& dev);
  ~CachingClAllocator() override;
  void copy_from_host(void* dst, size_t dst_offset, const void* src, size_t nbytes) override;
  void copy_to_host(void* dst, const void* src, size_t src_offset, size_t nbytes) override;
  void copy_within(void* dst, size_t dst_offset, const void* src, size_t src_offset, size_t nbytes) override;
  /// Bytes held by live (not cached) buffers.
  size_t live_bytes() const { return stats().in_use_bytes; }

 protected:
  void* raw_alloc(size_t bytes) override;
  void raw_free(void* block, size_t bytes) noexcept override;
  [[noreturn]] void out_of_memory(size_t requested, const AllocatorStats& stats) override;

 private:
  ClDevice& dev_;
};

}  // namespace ember::opencl
