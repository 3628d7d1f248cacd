// Internal helper for in-memory image datasets stored as uint8 (MNIST, CIFAR-10): one batch of
// float32 images scaled to [0,1] and int64 labels, filled directly without per-sample tensors.
#pragma once
#include <cstdint>
#include <vector>

#include "ember/data/dataset.h"

namespace ember::data::detail {

/// Images (N, *sample_shape) from pixels (one sample = numel(sample_shape) bytes) and labels
/// (N) for the given indices. Requires valid indices (callers check them).
Batch make_u8_batch(const std::vector<uint8_t>& pixels, const std::vector<uint8_t>& labels,
                    const std::vector<int64_t>& indices, const Shape& sample_shape);

}  // namespace ember::data::detail
