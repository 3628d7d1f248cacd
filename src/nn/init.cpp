// Parameter initialisation (torch.nn.init): host-side draws from the default generator,
// copied into the tensor under NoGradGuard.
#include "ember/nn/init.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ember/autograd.h"
#include "ember/random.h"

namespace ember::nn::init {

namespace {

void check_floating(const char* op, const Tensor& t) {
  EMBER_CHECK(t.defined(), "nn::init::", op, ": undefined tensor");
  EMBER_CHECK(is_floating(t.dtype()), "nn::init::", op, ": tensor must be floating, got ", dtype_name(t.dtype()));
}

/// Fills t with n values from draw() in row-major order.
template <class F>
Tensor fill_with(const Tensor& t, F&& draw) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (double& x : v) x = draw();
  NoGradGuard ng;
  if (!v.empty()) t.copy_(from_vector(v, t.shape(), TensorOptions(DType::Float64)));
  return t;
}

int64_t pick_fan(const char* op, const Tensor& t, const std::string& mode) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  EMBER_CHECK(mode == "fan_in" || mode == "fan_out", "nn::init::", op, ": mode must be 'fan_in' or 'fan_out', got '",
              mode, "'");
  return std::max<int64_t>(1, mode == "fan_in" ? fan_in : fan_out);  // 0 only for empty tensors
}

}  // namespace

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& w) {
  EMBER_CHECK(w.defined(), "nn::init::calculate_fan_in_and_fan_out: undefined tensor");
  EMBER_CHECK(w.dim() >= 2, "nn::init::calculate_fan_in_and_fan_out: needs a tensor with at least 2 dims, got shape ",
              shape_str(w.shape()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

double calculate_gain(const std::string& nl, double param) {
  if (nl == "linear" || nl == "conv1d" || nl == "conv2d" || nl == "conv3d" || nl == "sigmoid") return 1.0;
  if (nl == "tanh") return 5.0 / 3.0;
  if (nl == "relu") return std::sqrt(2.0);
  if (nl == "leaky_relu") {
    double slope = param < 0 ? 0.01 : param;
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nl == "selu") return 0.75;
  EMBER_FAIL("nn::init::calculate_gain: unknown nonlinearity '", nl,
             "' (known: linear, conv1d, conv2d, conv3d, sigmoid, tanh, relu, leaky_relu, selu)");
}

Tensor uniform_(const Tensor& t, double a, double b) {
  check_floating("uniform_", t);
  EMBER_CHECK(a <= b, "nn::init::uniform_: needs a <= b, got a=", a, " b=", b);
  Generator& g = default_generator();
  return fill_with(t, [&] { return a + (b - a) * g.uniform(); });
}

Tensor normal_(const Tensor& t, double mean, double std) {
  check_floating("normal_", t);
  EMBER_CHECK(std >= 0, "nn::init::normal_: std must be >= 0, got ", std);
  Generator& g = default_generator();
  return fill_with(t, [&] { return mean + std * g.normal(); });
}

Tensor constant_(const Tensor& t, double value) {
  EMBER_CHECK(t.defined(), "nn::init::constant_: undefined tensor");
  NoGradGuard ng;
  t.fill_(value);
  return t;
}
Tensor zeros_(const Tensor& t) { return constant_(t, 0.0); }
Tensor ones_(const Tensor& t) { return constant_(t, 1.0); }

Tensor kaiming_uniform_(const Tensor& t, double a, const std::string& mode, const std::string& nonlinearity) {
  check_floating("kaiming_uniform_", t);
  if (t.numel() == 0) return t;  // a no-op, as PyTorch
  int64_t fan = pick_fan("kaiming_uniform_", t, mode);
  double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / static_cast<double>(fan));
  return uniform_(t, -bound, bound);
}

Tensor kaiming_normal_(const Tensor& t, double a, const std::string& mode, const std::string& nonlinearity) {
  check_floating("kaiming_normal_", t);
  if (t.numel() == 0) return t;  // a no-op, as PyTorch
  int64_t fan = pick_fan("kaiming_normal_", t, mode);
  return normal_(t, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan)));
}

Tensor xavier_uniform_(const Tensor& t, double gain) {
  check_floating("xavier_uniform_", t);
  auto [fi, fo] = calculate_fan_in_and_fan_out(t);
  if (t.numel() == 0) return t;  // a no-op, as PyTorch
  double bound = gain * std::sqrt(6.0 / static_cast<double>(fi + fo));
  return uniform_(t, -bound, bound);
}

Tensor xavier_normal_(const Tensor& t, double gain) {
  check_floating("xavier_normal_", t);
  auto [fi, fo] = calculate_fan_in_and_fan_out(t);
  if (t.numel() == 0) return t;  // a no-op, as PyTorch
  return normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fi + fo)));
}

}  // namespace ember::nn::init
