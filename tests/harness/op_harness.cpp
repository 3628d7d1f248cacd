// Implementation of the op harness (see op_harness.h).
#include "harness/op_harness.h"

#include <cmath>
#include <random>
#include <sstream>

namespace ember::test {

::testing::AssertionResult allclose(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  if (!actual.defined() || !expected.defined()) return ::testing::AssertionFailure() << "undefined tensor";
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure() << "shape " << shape_str(actual.shape()) << " != expected "
                                         << shape_str(expected.shape());
  std::vector<double> a = actual.to_vector<double>(), e = expected.to_vector<double>();
  int bad = 0;
  std::ostringstream msg;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    bool ok = (std::isnan(a[i]) && std::isnan(e[i])) || (a[i] == e[i]) ||
              std::abs(a[i] - e[i]) <= atol + rtol * std::abs(e[i]);
    if (!ok) {
      worst = std::max(worst, std::abs(a[i] - e[i]));
      if (bad++ < 5) msg << "\n  [" << i << "] " << a[i] << " vs expected " << e[i];
    }
  }
  if (bad)
    return ::testing::AssertionFailure() << bad << " of " << a.size() << " elements differ (max abs diff " << worst
                                         << ", rtol " << rtol << ", atol " << atol << "):" << msg.str();
  return ::testing::AssertionSuccess();
}

Tensor T(const std::vector<double>& values, const Shape& shape, DType dtype) {
  return from_vector(values, shape, TensorOptions(dtype));
}

Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + 17);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (double& x : v) x = dist(rng);
  return from_vector(v, shape, TensorOptions(DType::Float64));
}

Tensor noncontiguous(const Tensor& x) {
  if (x.dim() < 2) {
    // Every other element of a doubled tensor.
    Tensor big = zeros({x.numel() * 2}, TensorOptions(x.dtype()));
    Tensor v = big.slice(0, 0, x.numel() * 2, 2);
    v.copy_(x.reshape({x.numel()}));
    return v.reshape(x.shape());
  }
  Tensor t = x.transpose(0, x.dim() - 1).contiguous();
  return t.transpose(0, x.dim() - 1);
}

double central_difference(double* x, const std::function<double()>& objective, double eps) {
  const double orig = *x;
  *x = orig + eps;
  const double fp = objective();
  *x = orig - eps;
  const double fm = objective();
  *x = orig;
  return (fp - fm) / (2 * eps);
}

::testing::AssertionResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                     std::vector<Tensor> inputs, double eps, double atol, double rtol,
                                     std::vector<size_t> check) {
  for (auto& in : inputs) {
    if (in.dtype() != DType::Float64) return ::testing::AssertionFailure() << "gradcheck inputs must be float64";
    in = in.detach().contiguous().clone().detach();
    in.set_requires_grad(true);
  }
  if (check.empty())
    for (size_t i = 0; i < inputs.size(); ++i) check.push_back(i);
  Tensor out = f(inputs);
  if (!out.requires_grad()) return ::testing::AssertionFailure() << "output does not require grad";
  Tensor w = uniform(out.shape(), 0.5, 1.5, 99);
  sum(mul(out, w)).backward();

  auto objective = [&]() {
    NoGradGuard ng;
    return sum(mul(f(inputs), w)).item<double>();
  };
  std::ostringstream msg;
  int bad = 0;
  for (size_t k : check) {
    Tensor g = inputs[k].grad();
    std::vector<double> analytic = g.defined() ? g.to_vector<double>() : std::vector<double>(inputs[k].numel(), 0.0);
    double* p = inputs[k].data_ptr<double>();
    for (int64_t i = 0; i < inputs[k].numel(); ++i) {
      double numeric = central_difference(&p[i], objective, eps);
      if (std::abs(numeric - analytic[i]) > atol + rtol * std::abs(numeric)) {
        if (bad++ < 6)
          msg << "\n  input " << k << " [" << i << "]: analytic " << analytic[i] << " vs numeric " << numeric;
      }
    }
  }
  if (bad) return ::testing::AssertionFailure() << bad << " gradient entries differ:" << msg.str();
  return ::testing::AssertionSuccess();
}

}  // namespace ember::test
