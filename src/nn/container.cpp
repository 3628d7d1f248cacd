// Sequential container.
#include "ember/nn/container.h"

#include <string>

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

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& m : mods_) y = m->forward(y);
  return y;
}

}  // namespace ember::nn
