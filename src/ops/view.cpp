// View ops (Tensor methods): reshape/view, permute/transpose, slice/select, expand,
// squeeze/unsqueeze, flatten. They share storage and record their backward.
#include <algorithm>
#include <numeric>
#include <optional>

#include "autograd/record.h"
#include "ember/ops/reduce.h"
#include "ops/dispatch.h"

namespace ember {

namespace {

using GradList = std::vector<Tensor>;

Shape infer_shape(const Shape& s, int64_t numel, const char* op, const Shape& from) {
  Shape out = s;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      EMBER_CHECK(infer < 0, op, ": only one dimension can be -1 in ", shape_str(s));
      infer = static_cast<int64_t>(i);
    } else {
      EMBER_CHECK(s[i] >= 0, op, ": invalid size ", s[i], " in ", shape_str(s));
      known *= s[i];
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known != 0 && numel % known == 0, op, ": shape ", shape_str(s), " is invalid for input of shape ",
                shape_str(from));
    out[infer] = numel / known;
  }
  EMBER_CHECK(shape_numel(out) == numel, op, ": shape ", shape_str(s), " is invalid for input of shape ",
              shape_str(from), " (", numel, " elements)");
  return out;
}

/// Strides that let (old sizes, old strides) be viewed as new sizes, if any (PyTorch's computeStride).
std::optional<Shape> view_strides(const Shape& old_sizes, const Shape& old_strides, const Shape& new_sizes) {
  if (old_sizes.empty() || shape_numel(old_sizes) == 0) return contiguous_strides(new_sizes);
  Shape new_strides(new_sizes.size());
  int64_t view_d = static_cast<int64_t>(new_sizes.size()) - 1;
  int64_t chunk_base = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
        new_strides[view_d] = view_numel * chunk_base;
        view_numel *= new_sizes[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

Tensor reshape_backward_record(const char* name, const Tensor& in, Tensor out) {
  Shape s = in.shape();
  autograd::record(name, {in}, {out}, [s](const GradList& g) { return GradList{g[0].reshape(s)}; });
  return out;
}

}  // namespace

Tensor Tensor::view(const Shape& s) const {
  Shape ns = infer_shape(s, numel(), "view", shape());
  auto st = view_strides(shape(), strides(), ns);
  EMBER_CHECK(st.has_value(), "view: shape ", shape_str(ns), " is not compatible with the input's layout (shape ",
              shape_str(shape()), ", strides ", shape_str(strides()), "); use reshape()");
  return reshape_backward_record("view", *this, make_view(*this, ns, *st, offset()));
}

Tensor Tensor::reshape(const Shape& s) const {
  Shape ns = infer_shape(s, numel(), "reshape", shape());
  if (ns == shape()) return *this;
  auto st = view_strides(shape(), strides(), ns);
  if (st) return reshape_backward_record("reshape", *this, make_view(*this, ns, *st, offset()));
  return contiguous().view(ns);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  int64_t n = dim();
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == n, "permute: got ", dims.size(), " dims for a tensor of rank ", n);
  Shape sz(n), st(n);
  std::vector<int64_t> inverse(n, -1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n, "permute");
    EMBER_CHECK(inverse[d] < 0, "permute: dimension ", d, " repeated in ", shape_str(dims));
    inverse[d] = i;
    sz[i] = shape()[d];
    st[i] = strides()[d];
  }
  Tensor out = make_view(*this, sz, st, offset());
  autograd::record("permute", {*this}, {out}, [inverse](const GradList& g) { return GradList{g[0].permute(inverse)}; });
  return out;
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  int64_t n = dim();
  if (n == 0) return *this;
  a = wrap_dim(a, n, "transpose");
  b = wrap_dim(b, n, "transpose");
  // Built directly rather than through permute(): linear transposes its weight on every call.
  Shape sz = shape(), st = strides();
  std::swap(sz[a], sz[b]);
  std::swap(st[a], st[b]);
  Tensor out = make_view(*this, std::move(sz), std::move(st), offset());
  autograd::record("permute", {*this}, {out}, [a, b](const GradList& g) { return GradList{g[0].transpose(a, b)}; });
  return out;
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = wrap_dim(d, dim(), "slice");
  EMBER_CHECK(step > 0, "slice: step must be positive, got ", step);
  int64_t n = shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape sz = shape(), st = strides();
  sz[d] = (end - start + step - 1) / step;
  st[d] *= step;
  Tensor out = make_view(*this, sz, st, offset() + start * strides()[d]);
  Shape in_shape = shape();
  autograd::record("slice", {*this}, {out}, [in_shape, d, start, end, step](const GradList& g) {
    Tensor gi = zeros(in_shape, TensorOptions(g[0].dtype()).with_device(g[0].device()));
    gi.slice(d, start, end, step).copy_(g[0]);
    return GradList{gi};
  });
  return out;
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = wrap_dim(d, dim(), "select");
  int64_t n = shape()[d];
  EMBER_CHECK(index >= -n && index < n, "select: index ", index, " out of range for dimension ", d, " of size ", n);
  if (index < 0) index += n;
  return slice(d, index, index + 1).squeeze(d);
}

Tensor Tensor::expand(const Shape& s) const {
  int64_t n = dim(), m = static_cast<int64_t>(s.size());
  EMBER_CHECK(m >= n, "expand: cannot expand shape ", shape_str(shape()), " to fewer dimensions ", shape_str(s));
  Shape sz(m), st(m);
  for (int64_t i = m - 1; i >= 0; --i) {
    int64_t j = i - (m - n);
    int64_t want = s[i];
    if (j >= 0) {
      int64_t have = shape()[j];
      if (want == -1) want = have;
      EMBER_CHECK(have == want || have == 1, "expand: shape ", shape_str(shape()), " cannot be expanded to ",
                  shape_str(s), " (dimension ", i, ": ", have, " vs ", want, ")");
      sz[i] = want;
      st[i] = (have == want) ? strides()[j] : 0;
    } else {
      EMBER_CHECK(want >= 0, "expand: new leading dimension ", i, " cannot be -1 in ", shape_str(s));
      sz[i] = want;
      st[i] = 0;
    }
  }
  if (sz == shape()) return *this;
  Tensor out = make_view(*this, sz, st, offset());
  Shape in_shape = shape();
  autograd::record("expand", {*this}, {out}, [in_shape](const GradList& g) { return GradList{sum_to(g[0], in_shape)}; });
  return out;
}

Tensor Tensor::squeeze() const {
  Shape s;
  for (int64_t v : shape())
    if (v != 1) s.push_back(v);
  return reshape(s);
}

Tensor Tensor::squeeze(int64_t d) const {
  if (dim() == 0) return *this;
  d = wrap_dim(d, dim(), "squeeze");
  if (shape()[d] != 1) return *this;
  Shape s = shape();
  s.erase(s.begin() + d);
  return reshape(s);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape s = shape();
  s.insert(s.begin() + d, 1);
  return reshape(s);
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape({1});
  start = wrap_dim(start, dim(), "flatten");
  end = wrap_dim(end, dim(), "flatten");
  EMBER_CHECK(start <= end, "flatten: start dim ", start, " is after end dim ", end);
  Shape s(shape().begin(), shape().begin() + start);
  int64_t m = 1;
  for (int64_t i = start; i <= end; ++i) m *= shape()[i];
  s.push_back(m);
  s.insert(s.end(), shape().begin() + end + 1, shape().end());
  return reshape(s);
}

}  // namespace ember
