// Joining, splitting, indexing and padding ops (the view ops are Tensor methods).
#pragma once
#include <vector>

#include "ember/tensor.h"

namespace ember {

/// Concatenates along dim; all other dims must match.
Tensor cat(const std::vector<Tensor>& xs, int64_t dim = 0);
/// Stacks along a new dim; all shapes must match.
Tensor stack(const std::vector<Tensor>& xs, int64_t dim = 0);
/// Rows of x along dim picked by a 1-D int64/int32 index (embedding lookup). Index must be in range.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] (for dim 1), as torch.gather. index same rank as x.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
/// Constant padding; pads lists (before, after) pairs starting from the LAST dim, as torch.nn.functional.pad.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);
/// One-hot encoding of int64 class indices into a float tensor (*, num_classes).
Tensor one_hot(const Tensor& indices, int64_t num_classes, DType dtype = DType::Float32);

}  // namespace ember
