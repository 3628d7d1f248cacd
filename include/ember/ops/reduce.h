// Reductions over dimensions (keepdim as PyTorch). An empty dims list reduces over all dims.
#pragma once
#include <vector>

#include "ember/tensor.h"

namespace ember {

using Dims = std::vector<int64_t>;

/// Sum over dims. Integer/bool inputs sum into int64.
Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// Mean over dims; requires a floating dtype.
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// Variance over dims with Bessel's correction (correction=1) or without (0). Floating only.
Tensor var(const Tensor& x, const Dims& dims = {}, int64_t correction = 1, bool keepdim = false);
/// Maximum over all elements (gradient split evenly among ties).
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
/// Maximum along one dim: values (differentiable) and int64 indices (first occurrence).
struct ValuesIndices {
  Tensor values;
  Tensor indices;
};
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
/// True if any / all elements are nonzero (bool 0-dim).
Tensor any(const Tensor& x);
Tensor all(const Tensor& x);
/// Sums a broadcast gradient back to shape (the inverse of expand). Requires x broadcastable from shape.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace ember
