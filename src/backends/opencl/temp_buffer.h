// Device scratch tensors for the matmul/conv kernels of this backend (im2col columns, float32
// copies of 16-bit operands, dense copies of operands CLBlast cannot read), and device-side
// copies between tensor arguments through the backend's own copy kernel.
#pragma once
#include "buffers.h"

namespace ember::opencl {

/// A dense (row-major) tensor of `sizes` and dtype t on dev, allocated through the device's
/// caching allocator and handed back on destruction. Freeing right after enqueueing work on it
/// is safe: the device's one in-order queue runs any later user of the buffer after that work.
class TempTensor {
 public:
  TempTensor(ClDevice& dev, DType t, const Shape& sizes);
  ~TempTensor();
  TempTensor(const TempTensor&) = delete;
  TempTensor& operator=(const TempTensor&) = delete;

  const TensorArg& arg() const { return arg_; }
  cl_mem mem() const { return buffer_of(arg_).mem; }

 private:
  BufferAllocator* alloc_;
  size_t nbytes_;
  TensorArg arg_;
};

/// dst = src element by element (converting the dtype) with the backend's copy kernel.
/// Requires equal sizes and both operands on the same OpenCL device.
void device_copy(const TensorArg& src, const TensorArg& dst);

/// A dense copy of a in dtype t, in a temporary. Among the first keep_broadcast dims, those
/// where a has stride 0 stay stride 0 in the copy (stored once), so an operand expanded along
/// its batch dims is not materialised. `arg` has a's sizes.
struct DenseCopy {
  TempTensor temp;
  TensorArg arg;  // the view of temp that stands for a
  DenseCopy(const TensorArg& a, DType t, int64_t keep_broadcast = 0);
};

}  // namespace ember::opencl
