// Sequential: runs its children in order, named "0", "1", ... as torch::nn::Sequential.
#pragma once
#include <memory>
#include <type_traits>
#include <vector>

#include "ember/nn/module.h"

namespace ember::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  /// Sequential(make_shared<Linear>(4, 8), make_shared<ReLU>(), ...). Each must be non-null.
  template <class... Ms>
    requires(sizeof...(Ms) > 0 && (std::is_base_of_v<Module, Ms> && ...))
  explicit Sequential(std::shared_ptr<Ms>... modules) : Module("Sequential") {
    (push_back(std::move(modules)), ...);
  }
  explicit Sequential(const std::vector<ModulePtr>& modules);

  /// Appends m (non-null) under the next index.
  void push_back(ModulePtr m);
  /// The i-th child; requires i < size().
  ModulePtr operator[](size_t i) const;
  /// The i-th child as M; throws ember::Error when it is not an M.
  template <class M>
  std::shared_ptr<M> at(size_t i) const {
    auto p = std::dynamic_pointer_cast<M>((*this)[i]);
    EMBER_CHECK(p, "Sequential.at: module ", i, " is a ", (*this)[i]->name(), ", not the requested type");
    return p;
  }
  size_t size() const { return mods_.size(); }
  bool empty() const { return mods_.empty(); }

  /// Feeds x through every child in order, calling each through operator() (the identity when
  /// empty). In training mode a BatchNorm2d → ReLU → MaxPool2d(2) run is one fused op (the same
  /// result) unless a ModuleObserver is installed, which then sees the three calls.
  Tensor forward(const Tensor& x) override;

 private:
  std::vector<ModulePtr> mods_;
};

}  // namespace ember::nn
