// Parameter initialisation, as torch.nn.init. Every function fills its tensor in place (no
// autograd) with values drawn from ember's default generator (manual_seed makes it
// reproducible) and returns the tensor. Values are drawn in float64 and converted.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "ember/tensor.h"

namespace ember::nn::init {

/// (fan_in, fan_out) of a weight: fan_in = size(1) * receptive field, fan_out = size(0) *
/// receptive field, where the receptive field is the product of dims 2.. . Requires dim >= 2.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& w);
/// The recommended gain for a nonlinearity: "linear", "conv2d", "sigmoid" (1), "tanh" (5/3),
/// "relu" (sqrt 2), "leaky_relu" (sqrt(2/(1+param^2)), param the negative slope, 0.01 when
/// negative), "selu" (3/4). Throws ember::Error for other names.
double calculate_gain(const std::string& nonlinearity, double param = -1.0);

/// U(a, b). Requires a floating tensor and a <= b.
Tensor uniform_(const Tensor& t, double a = 0.0, double b = 1.0);
/// N(mean, std^2). Requires a floating tensor and std >= 0.
Tensor normal_(const Tensor& t, double mean = 0.0, double std = 1.0);
/// Fills with a value (any dtype).
Tensor constant_(const Tensor& t, double value);
Tensor zeros_(const Tensor& t);
Tensor ones_(const Tensor& t);
/// He initialisation: U(-bound, bound), bound = gain * sqrt(3 / fan) with gain =
/// calculate_gain(nonlinearity, a) and fan = fan_in ("fan_in") or fan_out ("fan_out").
/// kaiming_uniform_(w, sqrt(5)) is PyTorch's Linear/Conv default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Tensor kaiming_uniform_(const Tensor& t, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu");
/// He initialisation: N(0, (gain / sqrt(fan))^2).
Tensor kaiming_normal_(const Tensor& t, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu");
/// Glorot: U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(const Tensor& t, double gain = 1.0);
/// Glorot: N(0, (gain * sqrt(2 / (fan_in + fan_out)))^2).
Tensor xavier_normal_(const Tensor& t, double gain = 1.0);

}  // namespace ember::nn::init
