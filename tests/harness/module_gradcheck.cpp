// check_param_grads: central differences over every parameter element of a float64 module.
#include "harness/module_gradcheck.h"

#include <cmath>

#include "harness/op_harness.h"

namespace ember::test {

::testing::AssertionResult check_param_grads(nn::Module& net, const Tensor& x, double eps, double tol) {
  net.zero_grad();
  Tensor y = net.forward(x);
  Tensor w = uniform(y.shape(), 0.5, 1.5, 77);
  sum(mul(y, w)).backward();
  auto objective = [&] {
    NoGradGuard ng;
    return sum(mul(net.forward(x), w)).item<double>();
  };
  int checked = 0;
  for (auto& [name, p] : net.named_parameters()) {
    if (p.dtype() != kFloat64) return ::testing::AssertionFailure() << name << " is not float64";
    if (!p.grad().defined()) return ::testing::AssertionFailure() << name << " has no gradient";
    std::vector<double> g = p.grad().to_vector<double>();
    double* d = p.data_ptr<double>();
    for (int64_t i = 0; i < p.numel(); ++i, ++checked) {
      double num = central_difference(&d[i], objective, eps);
      if (std::abs(num - g[i]) > tol + 1e-4 * std::abs(num))
        return ::testing::AssertionFailure() << name << "[" << i << "]: analytic " << g[i] << " vs numeric " << num;
    }
  }
  if (checked == 0) return ::testing::AssertionFailure() << "the module has no parameters to check";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult gradients_reach_every_parameter(const nn::Module& net, int64_t* count) {
  int64_t n = 0;
  for (auto& [name, p] : net.named_parameters()) {
    const Tensor g = p.grad();
    if (!g.defined()) return ::testing::AssertionFailure() << name << " has no gradient";
    if (g.shape() != p.shape())
      return ::testing::AssertionFailure() << name << ": gradient " << shape_str(g.shape()) << " for a "
                                           << shape_str(p.shape()) << " parameter";
    if (!all(isfinite(g)).item<bool>()) return ::testing::AssertionFailure() << name << ": non-finite gradient";
    if (!(sum(abs(g)).item() > 0.0)) return ::testing::AssertionFailure() << name << ": gradient is all zero";
    ++n;
  }
  if (count) *count = n;
  return ::testing::AssertionSuccess() << n << " parameters";
}

}  // namespace ember::test
