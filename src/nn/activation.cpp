// Activation modules: thin wrappers over the elementwise ops.
#include "ember/nn/activation.h"

#include "ember/ops/elementwise.h"
#include "nn/repr.h"

namespace ember::nn {

namespace {
const Tensor& checked(const char* who, const Tensor& x) {
  EMBER_CHECK(x.defined(), who, ".forward: undefined input");
  return x;
}
}  // namespace

Tensor ReLU::forward(const Tensor& x) { return relu(checked("ReLU", x)); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(checked("LeakyReLU", x), negative_slope_); }
std::string LeakyReLU::extra_repr() const { return "negative_slope=" + detail::py_float(negative_slope_); }
Tensor GELU::forward(const Tensor& x) { return gelu(checked("GELU", x)); }
Tensor Tanh::forward(const Tensor& x) { return tanh(checked("Tanh", x)); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(checked("Sigmoid", x)); }

}  // namespace ember::nn
