// Helpers the normalisation ops share (ops/norm.cpp, ops/batch_norm_relu_max_pool2d.cpp): statistics dtype,
// parameter staging for kernels, argument checks, gradient shaping and running-stat updates.
#pragma once
#include "core/kernels/tensor_arg.h"
#include "ember/autograd.h"
#include "ember/ops/elementwise.h"
#include "ops/dispatch.h"

namespace ember::norm_util {

/// The dtype batch/layer norm statistics are kept in: float64 for float64 inputs, else float32.
inline DType stat_dtype(DType t) { return t == DType::Float64 ? DType::Float64 : DType::Float32; }

/// Parameter converted to dtype t and shape s for a kernel (no autograd), or undefined.
inline Tensor as_param(const Tensor& p, DType t, const Shape& s) {
  if (!p.defined()) return Tensor();
  NoGradGuard ng;
  return p.to(t).reshape(s);
}

/// &storage holding t's TensorArg, or nullptr when t is undefined (an optional kernel operand).
inline const TensorArg* opt_arg(const Tensor& t, TensorArg& storage) {
  if (!t.defined()) return nullptr;
  storage = arg_of(t);
  return &storage;
}

inline bool wants_grad(const Tensor& t) { return t.defined() && t.requires_grad(); }

/// Gradient g reshaped and converted to like's shape and dtype (g may be undefined).
inline Tensor grad_as(const Tensor& g, const Tensor& like) {
  if (!g.defined()) return g;
  Tensor r = g.reshape(like.shape());
  return r.dtype() == like.dtype() ? r : r.to(like.dtype());
}

/// Throws unless p (when defined) is floating and shaped want; names op, what and x's shape.
inline void check_param(const char* op, const char* what, const Tensor& p, const Shape& want, const Tensor& x) {
  if (!p.defined()) return;
  ops::check_floating(op, what, p);
  EMBER_CHECK(p.shape() == want, op, ": ", what, " ", shape_str(p.shape()), " does not match ", shape_str(want),
              " expected for input ", shape_str(x.shape()));
}

/// running = (1-momentum)*running + momentum*batch in place, with the batch variance var
/// (biased, over M values per channel, M > 1) made unbiased. Call under NoGradGuard.
inline void update_running_stats(const Tensor& running_mean, const Tensor& running_var, const Tensor& mean,
                                 const Tensor& var, double momentum, int64_t M) {
  const DType sd = mean.dtype();
  const double unbias = static_cast<double>(M) / static_cast<double>(M - 1);
  Tensor rm = running_mean, rv = running_var;  // handles to the caller's buffers
  rm.copy_(add(mul(running_mean.to(sd), 1.0 - momentum), mul(mean, momentum)));
  rv.copy_(add(mul(running_var.to(sd), 1.0 - momentum), mul(var, momentum * unbias)));
}

}  // namespace ember::norm_util
