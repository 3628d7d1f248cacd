// TensorArg: how a kernel sees a tensor: device buffer + element offset + dtype + sizes/strides.
// Kernels never see Tensor or autograd; the buffer is only meaningful to its own backend.
#pragma once
#include <vector>
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
  /// Row-major dense (size-1 dims may have any stride). Inline: kernels test it on every call.
  bool contiguous() const {
    int64_t expected = 1;
    for (size_t i = sizes.size(); i-- > 0;) {
      if (sizes[i] == 1) continue;
      if (strides[i] != expected) return false;
      expected *= sizes[i];
    }
    return true;
  }
  /// Dense in some order of the dims (contiguous after a permutation, as a channels-last
  /// tensor): the elements fill numel() consecutive slots from the offset.
  bool dense() const {
    int64_t expected = 1;
    std::vector<bool> used(sizes.size(), false);
    for (size_t k = 0; k < sizes.size(); ++k) {  // the dim with stride `expected`, innermost first
      size_t pick = sizes.size();
      for (size_t i = 0; i < sizes.size(); ++i)
        if (!used[i] && sizes[i] != 1 && strides[i] == expected) pick = i;
      if (pick == sizes.size()) break;
      used[pick] = true;
      expected *= sizes[pick];
    }
    return expected == numel();
  }
};

inline TensorArg arg_of(const Tensor& t) {
  const TensorImpl* i = t.impl();
  return TensorArg{i->storage->data, i->offset, i->dtype, i->sizes, i->strides};
}

}  // namespace ember
