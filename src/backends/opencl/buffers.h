// Device memory of the OpenCL backend: the buffer handle kernels receive (TensorArg::data is a
// ClBuffer*), a caching allocator that reuses freed buffers by size class so a training step
// does not call clCreateBuffer, and blocking host<->device copies on the device's queue.
#pragma once
#include <map>
#include <mutex>
#include <vector>

#include "cl_device.h"
#include "core/backend.h"
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

class CachingClAllocator : public BufferAllocator {
 public:
  explicit CachingClAllocator(ClDevice& dev) : dev_(dev) {}
  ~CachingClAllocator() override;
  void* allocate(size_t nbytes) override;
  void deallocate(void* buffer, size_t nbytes) override;
  void copy_from_host(void* dst, size_t dst_offset, const void* src, size_t nbytes) override;
  void copy_to_host(void* dst, const void* src, size_t src_offset, size_t nbytes) override;
  void copy_within(void* dst, size_t dst_offset, const void* src, size_t src_offset, size_t nbytes) override;
  size_t cached_bytes() const override;
  void empty_cache() override;
  /// Bytes held by live (not cached) buffers.
  size_t live_bytes() const;

 private:
  static size_t round(size_t n);
  ClDevice& dev_;
  mutable std::mutex mu_;
  std::map<size_t, std::vector<ClBuffer*>> free_;  // by rounded size
  size_t cached_ = 0, live_ = 0;
};

}  // namespace ember::opencl
