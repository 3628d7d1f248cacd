// Linear and Flatten modules.
#include "ember/nn/linear.h"

#include <cmath>

#include "ember/nn/init.h"
#include "ember/ops/linalg.h"
#include "nn/repr.h"

namespace ember::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias)
    : Module("Linear"), in_(in_features), out_(out_features) {
  EMBER_CHECK(in_features >= 1 && out_features >= 1, "Linear: in_features and out_features must be >= 1, got ",
              in_features, " and ", out_features);
  register_parameter("weight", empty({out_features, in_features}));
  if (bias) register_parameter("bias", empty({out_features}));
  reset_parameters();
}

void Linear::reset_parameters() {
  init::kaiming_uniform_(weight(), std::sqrt(5.0));
  if (has_parameter("bias")) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in_));
    init::uniform_(parameter("bias"), -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) {
  EMBER_CHECK(x.defined(), "Linear.forward: undefined input");
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == in_, "Linear.forward: expected input (*, ", in_, ") for in_features=",
              in_, ", got shape ", shape_str(x.shape()));
  return linear(x, weight(), bias());
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_) + ", out_features=" + std::to_string(out_) +
         ", bias=" + detail::py_bool(has_parameter("bias"));
}

Flatten::Flatten(int64_t start_dim, int64_t end_dim) : Module("Flatten"), start_(start_dim), end_(end_dim) {}

Tensor Flatten::forward(const Tensor& x) {
  EMBER_CHECK(x.defined(), "Flatten.forward: undefined input");
  int64_t r = std::max<int64_t>(x.dim(), 1);
  int64_t s = start_ < 0 ? start_ + r : start_, e = end_ < 0 ? end_ + r : end_;
  EMBER_CHECK(s >= 0 && s < r && e >= 0 && e < r && s <= e, "Flatten.forward: start_dim=", start_, " end_dim=", end_,
              " do not fit an input of shape ", shape_str(x.shape()));
  return x.flatten(start_, end_);
}

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_) + ", end_dim=" + std::to_string(end_);
}

}  // namespace ember::nn
