// Reductions: sum, mean, var, max/min (global and along a dim), argmax, any, all, sum_to.
#include "ember/ops/reduce.h"

#include <algorithm>

#include "autograd/record.h"
#include "core/kernels/reduce.h"
#include "ember/ops/elementwise.h"
#include "ops/dispatch.h"

namespace ember {

using kernels::ReduceOp;
using GradList = std::vector<Tensor>;

namespace {

struct ReducePlan {
  std::vector<bool> reduced;  // per input dim
  Shape out_shape;            // with keepdim
  Shape kept_shape;           // without keepdim
  int64_t n_reduced = 0;
  int64_t count = 1;          // elements per output
};

ReducePlan plan(const char* op, const Tensor& x, const Dims& dims, bool keepdim) {
  ReducePlan p;
  int64_t n = x.dim();
  p.reduced.assign(n, dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, n, op);
    if (n == 0) continue;
    EMBER_CHECK(!p.reduced[w], op, ": dimension ", w, " listed twice");
    p.reduced[w] = true;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (p.reduced[i]) {
      p.n_reduced++;
      p.count *= x.shape()[i];
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.out_shape.push_back(x.shape()[i]);
      p.kept_shape.push_back(x.shape()[i]);
    }
  }
  return p;
}

/// Runs the reduce kernel: returns values shaped like plan.out_shape (and indices if asked).
Tensor run_reduce(const char* op, ReduceOp rop, const Tensor& x, const ReducePlan& p, DType out_dtype, Tensor* indices) {
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (!p.reduced[i]) perm.push_back(i);
  for (int64_t i = 0; i < x.dim(); ++i)
    if (p.reduced[i]) perm.push_back(i);
  NoGradGuard ng;
  Tensor xp = x.permute(perm);
  Tensor out = make_empty(p.kept_shape, out_dtype, x.device());
  if (indices) *indices = make_empty(p.kept_shape, DType::Int64, x.device());
  if (out.numel() > 0) {
    if (p.count == 0) {
      EMBER_CHECK(rop == ReduceOp::Sum || rop == ReduceOp::Any || rop == ReduceOp::All, op,
                  ": cannot reduce over an empty dimension (shape ", shape_str(x.shape()), ")");
      out.fill_(rop == ReduceOp::All ? 1.0 : 0.0);
    } else {
      TensorArg idx = indices ? arg_of(*indices) : TensorArg{};
      ops::kernel<kernels::ReduceKernel>(x.device(), kernels::kReduce)(rop, arg_of(xp), p.n_reduced, arg_of(out),
                                                                       indices ? &idx : nullptr);
    }
  }
  if (indices) *indices = indices->reshape(p.out_shape);
  return out.reshape(p.out_shape);
}

/// Gradient of a reduction broadcast back to the input's shape.
Tensor expand_back(const Tensor& g, const Shape& in_shape, const ReducePlan& p, bool keepdim) {
  Shape ks;
  for (size_t i = 0; i < in_shape.size(); ++i) ks.push_back(p.reduced[i] ? 1 : in_shape[i]);
  Tensor gk = keepdim ? g : g.reshape(ks);
  return gk.expand(in_shape);
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  ops::check_defined("sum", "input", x);
  ReducePlan p = plan("sum", x, dims, keepdim);
  Tensor in = is_floating(x.dtype()) ? x : x.to(DType::Int64);
  Tensor out = run_reduce("sum", ReduceOp::Sum, in, p, in.dtype(), nullptr);
  Shape s = x.shape();
  autograd::record("sum", {x}, {out}, [s, p, keepdim](const GradList& g) {
    return GradList{expand_back(g[0], s, p, keepdim).contiguous()};
  });
  return out;
}

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
  ops::check_defined("mean", "input", x);
  ops::check_floating("mean", "input", x);
  ReducePlan p = plan("mean", x, dims, keepdim);
  EMBER_CHECK(p.count > 0, "mean: cannot average over an empty dimension (shape ", shape_str(x.shape()), ")");
  return div(sum(x, dims, keepdim), static_cast<double>(p.count));
}

Tensor var(const Tensor& x, const Dims& dims, int64_t correction, bool keepdim) {
  ops::check_defined("var", "input", x);
  ops::check_floating("var", "input", x);
  ReducePlan p = plan("var", x, dims, keepdim);
  EMBER_CHECK(correction >= 0, "var: correction must be >= 0, got ", correction);
  EMBER_CHECK(p.count - correction > 0, "var: ", p.count, " elements are too few for correction ", correction);
  Tensor centred = sub(x, mean(x, dims, true));
  return div(sum(square(centred), dims, keepdim), static_cast<double>(p.count - correction));
}

namespace {
Tensor global_extremum(const char* name, ReduceOp rop, const Tensor& x) {
  ops::check_defined(name, "input", x);
  EMBER_CHECK(x.numel() > 0, name, ": input is empty (shape ", shape_str(x.shape()), ")");
  ReducePlan p = plan(name, x, {}, false);
  Tensor out = run_reduce(name, rop, x, p, x.dtype(), nullptr);
  autograd::record(name, {x}, {out}, [x, out = out.detach()](const GradList& g) {
    Tensor mask = eq(x, out).to(g[0].dtype());  // ties share the gradient evenly
    return GradList{div(mul(mask, g[0]), sum(mask))};
  });
  return out;
}
}  // namespace

Tensor max(const Tensor& x) { return global_extremum("max", ReduceOp::Max, x); }
Tensor min(const Tensor& x) { return global_extremum("min", ReduceOp::Min, x); }

ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  ops::check_defined("max", "input", x);
  ReducePlan p = plan("max", x, {dim}, keepdim);
  EMBER_CHECK(p.count > 0, "max: cannot reduce over an empty dimension (shape ", shape_str(x.shape()), ")");
  Tensor idx;
  Tensor values = run_reduce("max", ReduceOp::Max, x, p, x.dtype(), &idx);
  Shape s = x.shape();
  int64_t d = wrap_dim(dim, x.dim(), "max");
  autograd::record("max", {x}, {values}, [s, d, idx, keepdim, p](const GradList& g) {
    // Scatter g into the arg-max positions: one_hot(idx) * g along dim d.
    Tensor gk = keepdim || s.empty() ? g[0] : g[0].unsqueeze(d);
    Tensor ik = keepdim || s.empty() ? idx : idx.unsqueeze(d);
    Shape pos_shape(s.size(), 1);
    if (!s.empty()) pos_shape[d] = s[d];
    Tensor positions = arange(0.0, static_cast<double>(s.empty() ? 1 : s[d]), 1.0,
                              TensorOptions(DType::Int64).with_device(g[0].device())).reshape(pos_shape);
    Tensor hit = eq(positions, ik);
    return GradList{where(hit, gk, zeros_like(gk)).expand(s).contiguous()};
  });
  return {values, idx};
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  NoGradGuard ng;
  return max(x, dim, keepdim).indices;
}

Tensor any(const Tensor& x) {
  ops::check_defined("any", "input", x);
  return run_reduce("any", ReduceOp::Any, x, plan("any", x, {}, false), DType::Bool, nullptr);
}

Tensor all(const Tensor& x) {
  ops::check_defined("all", "input", x);
  return run_reduce("all", ReduceOp::All, x, plan("all", x, {}, false), DType::Bool, nullptr);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  EMBER_CHECK(lead >= 0, "sum_to: cannot reduce shape ", shape_str(x.shape()), " to ", shape_str(shape));
  Dims dims;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i < lead) {
      dims.push_back(i);
      continue;
    }
    int64_t want = shape[i - lead];
    EMBER_CHECK(want == x.shape()[i] || want == 1, "sum_to: cannot reduce shape ", shape_str(x.shape()), " to ",
                shape_str(shape));
    if (want == 1 && x.shape()[i] != 1) dims.push_back(i);
  }
  Tensor r = dims.empty() ? x : sum(x, dims, true);
  return r.reshape(shape);
}

}  // namespace ember
