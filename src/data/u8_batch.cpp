// make_u8_batch (see u8_batch.h).
#include "data/u8_batch.h"

namespace ember::data::detail {

Batch make_u8_batch(const std::vector<uint8_t>& pixels, const std::vector<uint8_t>& labels,
                    const std::vector<int64_t>& indices, const Shape& sample_shape) {
  const int64_t n = static_cast<int64_t>(indices.size()), plane = shape_numel(sample_shape);
  Shape shape{n};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  Tensor x = empty(shape);
  Tensor y = empty({n}, DType::Int64);
  float* px = x.data_ptr<float>();
  int64_t* py = y.data_ptr<int64_t>();
  for (int64_t b = 0; b < n; ++b) {
    const uint8_t* src = pixels.data() + indices[b] * plane;
    for (int64_t k = 0; k < plane; ++k) px[b * plane + k] = src[k] * (1.0f / 255.0f);
    py[b] = labels[static_cast<size_t>(indices[b])];
  }
  return Batch{x, y};
}

}  // namespace ember::data::detail
