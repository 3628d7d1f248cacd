// Sequential container. Runs its children in order (through Module::operator(), so module
// observers see each call), except that a BatchNorm2d → ReLU → MaxPool2d(2) run in training
// mode goes through the fused batch_norm_relu_max_pool2d when no observer is installed.
#include "ember/nn/container.h"

#include <array>
#include <cstdlib>
#include <string>

#include "ember/nn/activation.h"
#include "ember/nn/norm.h"
#include "ember/nn/pooling.h"

namespace ember::nn {

Sequential::Sequential(const std::vector<ModulePtr>& modules) : Module("Sequential") {
  for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(ModulePtr m) {
  EMBER_CHECK(m != nullptr, "Sequential.push_back: module ", mods_.size(), " is null");
  register_module(std::to_string(mods_.size()), m);
  mods_.push_back(std::move(m));
}

ModulePtr Sequential::operator[](size_t i) const {
  EMBER_CHECK(i < mods_.size(), "Sequential[]: index ", i, " out of range for ", mods_.size(), " modules");
  return mods_[i];
}

namespace {

/// m as a BatchNorm2d in training mode that mods[i+1] (ReLU) and mods[i+2] (MaxPool2d with a
/// 2x2 window, stride 2, no padding) follow: a block Sequential runs as one fused op; else null.
/// EMBER_FUSE=0 turns the fusion off (for comparisons and debugging); read once.
bool fusion_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("EMBER_FUSE");
    return !(v && std::string(v) == "0");
  }();
  return on;
}

BatchNorm2d* fusable_batch_norm_relu_max_pool2d(const std::vector<ModulePtr>& mods, size_t i) {
  if (i + 2 >= mods.size() || !fusion_enabled()) return nullptr;
  auto* bn = dynamic_cast<BatchNorm2d*>(mods[i].get());
  if (!bn || !bn->is_training() || !dynamic_cast<const ReLU*>(mods[i + 1].get())) return nullptr;
  const auto* pool = dynamic_cast<const MaxPool2d*>(mods[i + 2].get());
  if (!pool) return nullptr;
  const Pool2dParams& p = pool->params();
  const bool two_by_two = p.kernel == std::array<int64_t, 2>{2, 2} && p.stride == std::array<int64_t, 2>{2, 2} &&
                          p.padding == std::array<int64_t, 2>{0, 0};
  return two_by_two ? bn : nullptr;
}

}  // namespace

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (size_t i = 0; i < mods_.size(); ++i) {
    // Fused, the three modules would be one call an observer could not attribute.
    BatchNorm2d* bn = current_module_observer() ? nullptr : fusable_batch_norm_relu_max_pool2d(mods_, i);
    if (bn) {
      y = bn->batch_norm_relu_max_pool2d(y);  // the same result, one pass (ops/norm.h)
      i += 2;
      continue;
    }
    y = (*mods_[i])(y);
  }
  return y;
}

}  // namespace ember::nn
