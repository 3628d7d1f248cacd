// TensorArg: how a kernel sees a tensor: device buffer + element offset + dtype + sizes/strides.
// Kernels never see Tensor or autograd; the buffer is only meaningful to its own backend.
#pragma once
#include <cstdint>

#include "core/tensor_impl.h"

namespace ember {

struct TensorArg {
  void* data = nullptr;  // device buffer handle (for the CPU backend, a host pointer)
  int64_t offset = 0;    // elements
  DType dtype = DType::Float32;
  Shape sizes;
  Shape strides;  // elements; 0 for broadcast dims

  int64_t numel() const { return shape_numel(sizes); }
  int64_t dim() const { return static_cast<int64_t>(sizes.size()); }
  bool contiguous() const;
};

TensorArg arg_of(const Tensor& t);

}  // namespace ember
