// Channels-last helpers (see memory_format.h).
#include "core/memory_format.h"

#include "core/tensor_impl.h"

namespace ember {

bool is_channels_last(const Shape& sizes, const Shape& strides) {
  if (sizes.size() != 4 || strides.size() != 4) return false;
  int64_t expected = 1;
  for (int d : {1, 3, 2, 0}) {  // innermost first: C, W, H, N
    if (sizes[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

bool is_channels_last(const Tensor& t) { return t.defined() && is_channels_last(t.shape(), t.strides()); }

Shape channels_last_strides(const Shape& s) {
  EMBER_CHECK(s.size() == 4, "channels-last needs a 4-D shape, got ", shape_str(s));
  const int64_t C = std::max<int64_t>(s[1], 1), H = std::max<int64_t>(s[2], 1), W = std::max<int64_t>(s[3], 1);
  return {H * W * C, 1, W * C, C};
}

Tensor make_empty_channels_last(const Shape& nchw, DType t, Backend& b) {
  Shape strides = channels_last_strides(nchw);
  Tensor flat = make_empty({nchw[0], nchw[2], nchw[3], nchw[1]}, t, b);
  return make_view(flat, nchw, std::move(strides), 0);
}

Tensor make_empty_activation(const Shape& nchw, DType t, Backend& b, bool channels_last) {
  return channels_last ? make_empty_channels_last(nchw, t, b) : make_empty(nchw, t, b);
}

bool keeps_channels_last(const Tensor& t) {
  return t.defined() && t.impl()->backend().takes_channels_last() && is_channels_last(t) && !t.is_contiguous();
}

}  // namespace ember
