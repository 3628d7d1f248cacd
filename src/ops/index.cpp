// Indexing along one dim: index_select, gather, index_add, scatter_add (differentiable, with
// dedicated accumulating backward kernels) and one_hot (built from eq, no gradient).
#include <algorithm>

#include "autograd/record.h"
#include "core/kernels/index.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"
#include "ember/ops/shape.h"
#include "ops/dispatch.h"

namespace ember {

namespace {

using GradList = std::vector<Tensor>;

void check_index_dtype(const char* op, const Tensor& index) {
  EMBER_CHECK(index.dtype() == DType::Int64 || index.dtype() == DType::Int32, op,
              ": index must be an int64 or int32 tensor, got ", dtype_name(index.dtype()));
}

/// Throws unless every index lies in [0, size): kernels may run on a device, so the bounds are
/// found with min/max reductions and only two values come back to the host.
void check_index_range(const char* op, const Tensor& index, int64_t size, int64_t d) {
  if (index.numel() == 0) return;
  NoGradGuard ng;
  int64_t lo = min(index).item<int64_t>(), hi = max(index).item<int64_t>();
  EMBER_CHECK(lo >= 0, op, ": index ", lo, " is out of range for dimension ", d, " of size ", size);
  EMBER_CHECK(hi < size, op, ": index ", hi, " is out of range for dimension ", d, " of size ", size);
}

/// Checks a 1-D (or 0-dim) index for index_select/index_add; returns d wrapped and the index as 1-D.
int64_t check_select_args(const char* op, const Tensor& x, int64_t dim, const Tensor& index, Tensor* index_1d) {
  ops::check_defined(op, "input", x);
  ops::check_defined(op, "index", index);
  ops::check_same_device(op, {x, index});
  check_index_dtype(op, index);
  EMBER_CHECK(index.dim() <= 1, op, ": index must be 1-D, got shape ", shape_str(index.shape()));
  EMBER_CHECK(x.dim() >= 1, op, ": input must have rank >= 1, got a 0-dim tensor");
  int64_t d = wrap_dim(dim, x.dim(), op);
  check_index_range(op, index, x.shape()[d], d);
  *index_1d = (index.dim() == 0 ? index.reshape({1}) : index).detach();
  return d;
}

/// Checks an index of x's rank for gather/scatter_add (index.size(k) <= x.size(k) for k != d).
int64_t check_gather_args(const char* op, const Tensor& x, int64_t dim, const Tensor& index) {
  ops::check_defined(op, "input", x);
  ops::check_defined(op, "index", index);
  ops::check_same_device(op, {x, index});
  check_index_dtype(op, index);
  EMBER_CHECK(index.dim() == x.dim(), op, ": index ", shape_str(index.shape()), " must have the rank of input ",
              shape_str(x.shape()));
  int64_t d = wrap_dim(dim, x.dim(), op);
  for (int64_t k = 0; k < x.dim(); ++k)
    EMBER_CHECK(k == d || index.shape()[k] <= x.shape()[k], op, ": index ", shape_str(index.shape()),
                " is larger than input ", shape_str(x.shape()), " in dimension ", k);
  check_index_range(op, index, x.dim() ? x.shape()[d] : 1, d);
  return d;
}

/// out (contiguous, initialised) += src scattered to rows index along d (no autograd).
void index_add_into(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src) {
  if (src.numel() == 0) return;
  Tensor s = src.dtype() == out.dtype() ? src.contiguous() : src.to(out.dtype()).contiguous();
  ops::kernel<kernels::IndexAddKernel>(out.device(), kernels::kIndexAdd)(arg_of(s), d, arg_of(index), arg_of(out));
}

/// out (contiguous, initialised) += src at [p with coordinate d = index[p]] (no autograd).
void scatter_add_into(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src) {
  if (index.numel() == 0) return;
  Tensor s = src.dtype() == out.dtype() ? src : src.to(out.dtype());
  ops::kernel<kernels::ScatterAddKernel>(out.device(), kernels::kScatterAdd)(arg_of(s), d, arg_of(index), arg_of(out));
}

Tensor zeros_on(const Shape& s, DType t, Device dev) { return zeros(s, TensorOptions(t).with_device(dev)); }

/// A copy of x (contiguous, detached) to accumulate into.
Tensor fresh_copy(const Tensor& x) {
  Tensor out = make_empty(x.shape(), x.dtype(), x.device());
  if (x.numel() > 0) out.copy_(x.detach());
  return out;
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Tensor idx;
  int64_t d = check_select_args("index_select", x, dim, index, &idx);
  Shape os = x.shape();  // x's shape with size(d) = index.numel()
  os[d] = idx.numel();
  Tensor out = make_empty(os, x.dtype(), x.device());
  if (out.numel() > 0)
    ops::kernel<kernels::IndexSelectKernel>(x.device(), kernels::kIndexSelect)(arg_of(x), d, arg_of(idx), arg_of(out));
  Shape xs = x.shape();
  autograd::record("index_select", {x}, {out}, [xs, d, idx](const GradList& g) {
    Tensor gx = zeros_on(xs, g[0].dtype(), g[0].device());
    index_add_into(gx, d, idx, g[0]);
    return GradList{gx};
  });
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor idx;
  int64_t d = check_select_args("index_add", x, dim, index, &idx);
  ops::check_defined("index_add", "source", src);
  ops::check_same_device("index_add", {x, src});
  Shape want = x.shape();
  want[d] = idx.numel();
  EMBER_CHECK(src.shape() == want, "index_add: source ", shape_str(src.shape()), " must have shape ", shape_str(want),
              " (input ", shape_str(x.shape()), " with ", idx.numel(), " indices along dimension ", d, ")");
  Tensor out;
  {
    NoGradGuard ng;
    out = fresh_copy(x);
    index_add_into(out, d, idx, src);
  }
  DType src_dtype = src.dtype();
  autograd::record("index_add", {x, src}, {out}, [d, idx, src_dtype](const GradList& g) {
    Tensor gs;
    if (is_floating(src_dtype)) gs = index_select(g[0], d, idx).to(src_dtype);
    return GradList{g[0], gs};
  });
  return out;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  int64_t d = check_gather_args("gather", x, dim, index);
  if (x.dim() == 0) return gather(x.reshape({1}), d, index.reshape({1})).reshape({});
  Tensor out = make_empty(index.shape(), x.dtype(), x.device());  // index's shape
  if (out.numel() > 0)
    ops::kernel<kernels::GatherKernel>(x.device(), kernels::kGather)(arg_of(x), d, arg_of(index), arg_of(out));
  Shape xs = x.shape();
  autograd::record("gather", {x}, {out}, [xs, d, idx = index.detach()](const GradList& g) {
    Tensor gx = zeros_on(xs, g[0].dtype(), g[0].device());
    scatter_add_into(gx, d, idx, g[0]);
    return GradList{gx};
  });
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  int64_t d = check_gather_args("scatter_add", x, dim, index);
  ops::check_defined("scatter_add", "source", src);
  ops::check_same_device("scatter_add", {x, src});
  EMBER_CHECK(src.dim() == index.dim(), "scatter_add: source ", shape_str(src.shape()), " must have the rank of index ",
              shape_str(index.shape()));
  for (int64_t k = 0; k < src.dim(); ++k)
    EMBER_CHECK(index.shape()[k] <= src.shape()[k], "scatter_add: index ", shape_str(index.shape()),
                " is larger than source ", shape_str(src.shape()), " in dimension ", k);
  if (x.dim() == 0)
    return scatter_add(x.reshape({1}), d, index.reshape({1}), src.reshape({1})).reshape({});
  Tensor out;
  {
    NoGradGuard ng;
    out = fresh_copy(x);
    scatter_add_into(out, d, index, src);
  }
  Shape ss = src.shape(), is = index.shape();
  DType src_dtype = src.dtype();
  autograd::record("scatter_add", {x, src}, {out}, [d, idx = index.detach(), ss, is, src_dtype](const GradList& g) {
    Tensor gs;
    if (is_floating(src_dtype)) {
      gs = gather(g[0], d, idx).to(src_dtype);  // index's shape; src may be larger
      if (ss != is) {
        Tensor full_gs = zeros_on(ss, src_dtype, g[0].device());
        Tensor region = full_gs;
        for (size_t k = 0; k < is.size(); ++k) region = region.slice(static_cast<int64_t>(k), 0, is[k]);
        region.copy_(gs);
        gs = full_gs;
      }
    }
    return GradList{g[0], gs};
  });
  return out;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes, DType dtype) {
  ops::check_defined("one_hot", "indices", indices);
  check_index_dtype("one_hot", indices);
  NoGradGuard ng;
  if (num_classes == -1) {  // as PyTorch: one more than the largest index
    EMBER_CHECK(indices.numel() > 0, "one_hot: cannot infer num_classes from an empty tensor");
    num_classes = max(indices).item<int64_t>() + 1;
  }
  EMBER_CHECK(num_classes > 0, "one_hot: num_classes must be positive (or -1 to infer), got ", num_classes);
  if (indices.numel() > 0) {
    int64_t lo = min(indices).item<int64_t>(), hi = max(indices).item<int64_t>();
    EMBER_CHECK(lo >= 0 && hi < num_classes, "one_hot: class index ", lo < 0 ? lo : hi,
                " is out of range for num_classes ", num_classes);
  }
  Tensor classes = arange(num_classes, TensorOptions(indices.dtype()).with_device(indices.device()));
  return eq(indices.unsqueeze(-1), classes).to(dtype);  // (*, num_classes)
}

}  // namespace ember
