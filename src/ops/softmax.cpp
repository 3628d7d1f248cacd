// softmax and log_softmax along any dim: the op moves the dim last with a permuted view of
// input and output (no copies) and runs the row kernels; backward uses its own kernel.
#include "autograd/record.h"
#include "core/kernels/softmax.h"
#include "ember/ops/loss.h"
#include "ops/autocast.h"
#include "ops/dispatch.h"

namespace ember {

using GradList = std::vector<Tensor>;

namespace {

/// The permutation of n dims that moves dim d to the end (others keep their order).
std::vector<int64_t> dim_last(int64_t n, int64_t d) {
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < n; ++i)
    if (i != d) perm.push_back(i);
  if (n > 0) perm.push_back(d);
  return perm;
}

Tensor softmax_impl(const char* name, const Tensor& x, int64_t dim, bool log) {
  if (auto c = amp::detail::autocast_fp32({x})) return softmax_impl(name, (*c)[0], dim, log);
  ops::check_defined(name, "input", x);
  ops::check_floating(name, "input", x);
  int64_t d = wrap_dim(dim, x.dim(), name);
  std::vector<int64_t> perm = dim_last(x.dim(), d);
  Tensor out = make_empty(x.shape(), x.dtype(), x.device());
  if (out.numel() > 0) {
    NoGradGuard ng;
    ops::kernel<kernels::SoftmaxKernel>(x.device(), kernels::kSoftmax)(arg_of(x.permute(perm)),
                                                                       arg_of(out.permute(perm)), log);
  }
  autograd::record(name, {x}, {out}, [perm, log, y = out.detach()](const GradList& g) {
    Tensor gi = make_empty(y.shape(), y.dtype(), y.device());
    if (gi.numel() > 0) {
      Tensor gy = g[0].dtype() == y.dtype() ? g[0] : g[0].to(y.dtype());
      ops::kernel<kernels::SoftmaxBackwardKernel>(y.device(), kernels::kSoftmaxBackward)(
          arg_of(gy.permute(perm)), arg_of(y.permute(perm)), arg_of(gi.permute(perm)), log);
    }
    return GradList{gi};
  });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl("softmax", x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl("log_softmax", x, dim, true); }

}  // namespace ember
