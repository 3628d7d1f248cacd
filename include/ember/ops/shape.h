// Joining, indexing, scattering and padding ops (the view ops are Tensor methods).
// All follow PyTorch semantics; every bad input throws ember::Error naming the op.
#pragma once
#include <vector>

#include "ember/tensor.h"

namespace ember {

/// Concatenates along dim (negative counts from the end). Requires at least one input, every
/// input of the same rank and device, and all sizes equal except along dim. The result has the
/// promoted dtype of all inputs. Differentiable in every floating input.
Tensor cat(const std::vector<Tensor>& xs, int64_t dim = 0);
/// Stacks along a new dim (in -rank-1..rank). Requires at least one input, all shapes equal.
Tensor stack(const std::vector<Tensor>& xs, int64_t dim = 0);
/// Rows of x along dim picked by a 1-D int64/int32 index (embedding lookup): the result has
/// x's shape with size(dim) = index.numel(). Requires 0 <= index < x.size(dim). Repeated
/// indices are allowed (their gradients accumulate). Differentiable in x.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] (for dim 1), as torch.gather: index is int64/int32 with x's
/// rank, index.size(d) <= x.size(d) for d != dim, and 0 <= index < x.size(dim). The result has
/// index's shape. Differentiable in x (repeated indices accumulate).
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
/// Out-of-place torch.index_add: x with src's slices added at rows index along dim. index is a
/// 1-D int64/int32 in 0..x.size(dim)-1 (repeats accumulate); src has x's shape with
/// size(dim) = index.numel() and a dtype that converts to x's. Differentiable in x and src.
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
/// Out-of-place torch.scatter_add: x with src[i][j] added at [i][index[i][j]] (for dim 1).
/// index as for gather; src has at least index's size in every dim (only index's extent is
/// used). Differentiable in x and src.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
/// Constant padding; pads lists (before, after) pairs starting from the LAST dim, as
/// torch.nn.functional.pad: an even count of at most 2*rank values. Negative pads crop; a
/// dim may not end up with a negative size. Differentiable in x.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);
/// One-hot encoding of int64/int32 class indices in 0..num_classes-1 into a tensor of shape
/// (*, num_classes) and the given dtype. num_classes must be positive. Not differentiable.
Tensor one_hot(const Tensor& indices, int64_t num_classes, DType dtype = DType::Float32);

}  // namespace ember
