// BatchNorm2d, LayerNorm and Dropout modules over the batch_norm/layer_norm/dropout ops.
#include "ember/nn/norm.h"

#include "ember/autograd.h"
#include "ember/ops/conv.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/norm.h"
#include "nn/repr.h"

namespace ember::nn {

BatchNorm2d::BatchNorm2d(int64_t num_features, double eps, double momentum, bool affine, bool track_running_stats)
    : Module("BatchNorm2d"), c_(num_features), eps_(eps), momentum_(momentum), affine_(affine),
      track_(track_running_stats) {
  EMBER_CHECK(num_features >= 1, "BatchNorm2d: num_features must be >= 1, got ", num_features);
  EMBER_CHECK(eps > 0, "BatchNorm2d: eps must be > 0, got ", eps);
  EMBER_CHECK(momentum >= 0 && momentum <= 1, "BatchNorm2d: momentum must be in [0, 1], got ", momentum);
  if (affine) {
    register_parameter("weight", ones({c_}));
    register_parameter("bias", zeros({c_}));
  }
  if (track_running_stats) {
    register_buffer("running_mean", zeros({c_}));
    register_buffer("running_var", ones({c_}));
    register_buffer("num_batches_tracked", zeros({}, TensorOptions(DType::Int64)));
  }
}

namespace {
void check_bn_input(const Tensor& x, int64_t channels) {
  EMBER_CHECK(x.defined(), "BatchNorm2d.forward: undefined input");
  EMBER_CHECK(x.dim() == 4, "BatchNorm2d.forward: expected 4D input (N, C, H, W), got shape ", shape_str(x.shape()));
  EMBER_CHECK(x.size(1) == channels, "BatchNorm2d.forward: expected ", channels, " channels, got shape ",
              shape_str(x.shape()));
}
}  // namespace

void BatchNorm2d::count_batch() {
  if (!is_training() || !track_) return;
  NoGradGuard ng;
  Tensor& n = buffer("num_batches_tracked");
  n.fill_(static_cast<double>(n.item<int64_t>() + 1));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  check_bn_input(x, c_);
  Tensor y = batch_norm(x, running_mean(), running_var(), weight(), bias(), is_training(), momentum_, eps_);
  count_batch();
  return y;
}

Tensor BatchNorm2d::batch_norm_relu_max_pool2d(const Tensor& x) {
  check_bn_input(x, c_);
  if (!is_training()) {
    Pool2dParams p;
    p.kernel = {2, 2};
    p.stride = {2, 2};
    return max_pool2d(relu(forward(x)), p);
  }
  Tensor y = ember::batch_norm_relu_max_pool2d(x, running_mean(), running_var(), weight(), bias(), momentum_, eps_);
  count_batch();
  return y;
}

std::string BatchNorm2d::extra_repr() const {
  return std::to_string(c_) + ", eps=" + detail::py_float(eps_) + ", momentum=" + detail::py_float(momentum_) +
         ", affine=" + detail::py_bool(affine_) + ", track_running_stats=" + detail::py_bool(track_);
}

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : Module("LayerNorm"), shape_(std::move(normalized_shape)), eps_(eps), affine_(elementwise_affine) {
  EMBER_CHECK(!shape_.empty(), "LayerNorm: normalized_shape must be non-empty");
  for (int64_t s : shape_)
    EMBER_CHECK(s >= 1, "LayerNorm: normalized_shape sizes must be >= 1, got ", shape_str(shape_));
  EMBER_CHECK(eps > 0, "LayerNorm: eps must be > 0, got ", eps);
  if (affine_) {
    register_parameter("weight", ones(shape_));
    register_parameter("bias", zeros(shape_));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  EMBER_CHECK(x.defined(), "LayerNorm.forward: undefined input");
  int64_t k = static_cast<int64_t>(shape_.size());
  bool ok = x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == shape_;
  EMBER_CHECK(ok, "LayerNorm.forward: expected input with trailing dims ", shape_str(shape_), ", got shape ",
              shape_str(x.shape()));
  return layer_norm(x, shape_, weight(), bias(), eps_);
}

std::string LayerNorm::extra_repr() const {
  return detail::py_tuple(shape_) + ", eps=" + detail::py_float(eps_) +
         ", elementwise_affine=" + detail::py_bool(affine_);
}

Dropout::Dropout(double p) : Module("Dropout"), p_(p) {
  EMBER_CHECK(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  EMBER_CHECK(x.defined(), "Dropout.forward: undefined input");
  return dropout(x, p_, is_training());
}

std::string Dropout::extra_repr() const { return "p=" + detail::py_float(p_) + ", inplace=False"; }

}  // namespace ember::nn
