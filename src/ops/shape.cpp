// Joining and padding: cat, stack and constant pad. Forward passes allocate the output and copy
// each input into a slice view of it (the copy kernel does any dtype conversion); backward
// passes are slices of the gradient, so no dedicated kernels are needed.
#include <algorithm>

#include "autograd/record.h"
#include "ember/ops/shape.h"
#include "ops/dispatch.h"

namespace ember {

namespace {
using GradList = std::vector<Tensor>;

/// PyTorch's legacy rule: 1-D empty tensors (shape [0]) are skipped by cat whatever the rank.
bool skipped_by_cat(const Tensor& x) { return x.dim() == 1 && x.numel() == 0; }

/// The view of t covering [lo[k], lo[k] + len[k]) in every dim k.
Tensor region(Tensor t, const Shape& lo, const Shape& len) {
  for (int64_t k = 0; k < t.dim(); ++k) t = t.slice(k, lo[k], lo[k] + len[k]);
  return t;
}
}  // namespace

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  EMBER_CHECK(!xs.empty(), "cat: expected a non-empty list of tensors");
  for (const Tensor& x : xs) ops::check_defined("cat", "input", x);
  ops::check_same_device("cat", xs);
  DType dtype = xs[0].dtype();
  int64_t ref = -1;  // the first input that is not skipped
  for (size_t i = 0; i < xs.size(); ++i) {
    EMBER_CHECK(xs[i].dim() > 0, "cat: zero-dimensional tensor (input ", i, ") cannot be concatenated");
    dtype = promote_types(dtype, xs[i].dtype());
    if (ref < 0 && !skipped_by_cat(xs[i])) ref = static_cast<int64_t>(i);
  }
  if (ref < 0) ref = 0;  // every input is [0]: the result is [0] too
  const Shape& rs = xs[ref].shape();
  int64_t d = wrap_dim(dim, xs[ref].dim(), "cat");
  Shape out_shape = rs;
  out_shape[d] = 0;
  std::vector<bool> used(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = xs[i].shape();
    used[i] = static_cast<int64_t>(i) == ref || !skipped_by_cat(xs[i]);
    if (!used[i]) continue;
    EMBER_CHECK(s.size() == rs.size(), "cat: tensors must have the same rank: ", shape_str(rs), " (input ", ref,
                ") and ", shape_str(s), " (input ", i, ")");
    for (int64_t k = 0; k < static_cast<int64_t>(s.size()); ++k)
      EMBER_CHECK(k == d || s[k] == rs[k], "cat: sizes must match except in dimension ", d, ": ", shape_str(rs),
                  " (input ", ref, ") and ", shape_str(s), " (input ", i, ")");
    out_shape[d] += s[d];
  }
  Tensor out = make_empty(out_shape, dtype, xs[0].device());
  std::vector<int64_t> starts(xs.size(), 0), lens(xs.size(), 0);
  {
    NoGradGuard ng;
    int64_t at = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      if (!used[i]) continue;
      starts[i] = at;
      lens[i] = xs[i].shape()[d];
      if (xs[i].numel() > 0) out.slice(d, at, at + lens[i]).copy_(xs[i]);
      at += lens[i];
    }
  }
  std::vector<DType> dtypes;
  for (const Tensor& x : xs) dtypes.push_back(x.dtype());
  autograd::record("cat", xs, {out}, [d, starts, lens, used, dtypes](const GradList& g) {
    GradList gx(dtypes.size());
    for (size_t i = 0; i < dtypes.size(); ++i) {
      if (!is_floating(dtypes[i])) continue;
      if (!used[i]) {
        gx[i] = zeros({0}, TensorOptions(dtypes[i]).with_device(g[0].device()));
        continue;
      }
      gx[i] = g[0].slice(d, starts[i], starts[i] + lens[i]).to(dtypes[i]);
    }
    return gx;
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  EMBER_CHECK(!xs.empty(), "stack: expected a non-empty list of tensors");
  for (const Tensor& x : xs) ops::check_defined("stack", "input", x);
  for (size_t i = 1; i < xs.size(); ++i)
    EMBER_CHECK(xs[i].shape() == xs[0].shape(), "stack: all inputs must have the same shape: ",
                shape_str(xs[0].shape()), " (input 0) and ", shape_str(xs[i].shape()), " (input ", i, ")");
  int64_t d = wrap_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor> us;
  us.reserve(xs.size());
  for (const Tensor& x : xs) us.push_back(x.unsqueeze(d));
  return cat(us, d);
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  ops::check_defined("pad", "input", x);
  const int64_t n = x.dim(), np = static_cast<int64_t>(pads.size());
  EMBER_CHECK(np % 2 == 0, "pad: padding length must be even, got ", np, " values");
  EMBER_CHECK(np / 2 <= n, "pad: ", np, " padding values (", np / 2, " dims) for input ", shape_str(x.shape()),
              " of rank ", n);
  // For each dim: output shape, and the region [x_lo, x_hi) of x that lands at [o_lo, ...) of out.
  Shape out_shape = x.shape(), x_lo(n, 0), x_hi = x.shape(), o_lo(n, 0);
  bool crops = false;
  for (int64_t p = 0; p < np / 2; ++p) {
    int64_t k = n - 1 - p, before = pads[2 * p], after = pads[2 * p + 1];
    int64_t size = x.shape()[k] + before + after;
    EMBER_CHECK(size >= 0, "pad: padding (", before, ", ", after, ") makes dimension ", k, " of input ",
                shape_str(x.shape()), " negative (", size, ")");
    out_shape[k] = size;
    crops = crops || before < 0 || after < 0;
    x_lo[k] = std::min(std::max<int64_t>(-before, 0), x.shape()[k]);
    x_hi[k] = std::max(x_lo[k], x.shape()[k] - std::max<int64_t>(-after, 0));
    o_lo[k] = std::max<int64_t>(before, 0);
  }
  Shape len(n);
  for (int64_t k = 0; k < n; ++k) len[k] = x_hi[k] - x_lo[k];
  Tensor out = full(out_shape, value, TensorOptions(x.dtype()).with_device(x.device()));
  {
    NoGradGuard ng;
    if (shape_numel(len) > 0) region(out, o_lo, len).copy_(region(x, x_lo, len));
  }
  Shape xs = x.shape();
  autograd::record("pad", {x}, {out}, [xs, x_lo, o_lo, len, crops](const GradList& g) {
    Tensor inner = region(g[0], o_lo, len);
    if (!crops) return GradList{inner};  // the padded region is all of x
    Tensor gx = zeros(xs, TensorOptions(g[0].dtype()).with_device(g[0].device()));
    if (shape_numel(len) > 0) region(gx, x_lo, len).copy_(inner);
    return GradList{gx};
  });
  return out;
}

}  // namespace ember
