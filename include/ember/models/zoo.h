// The model zoo: named architectures built from ember::nn modules, laid out exactly as their
// PyTorch counterparts (same module indices, so state dicts carry over key for key).
// Library: ember::models (CMake) or ember-models (pkg-config); not part of ember/ember.h.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ember/nn.h"

namespace ember::models {

/// Builds a freshly initialised model (parameters drawn from the default generator) in
/// training mode. Every zoo model takes (N, 1, 28, 28) float32 images and returns (N, 10)
/// logits:
///   "mlp":   Sequential(Flatten, Linear(784,512), ReLU, Linear(512,512), ReLU, Linear(512,10))
///   "lenet": Sequential(Conv2d(1,32,3,padding=1), BatchNorm2d(32), ReLU, MaxPool2d(2),
///                       Conv2d(32,64,3,padding=1), BatchNorm2d(64), ReLU, MaxPool2d(2),
///                       Flatten, Dropout(0.3), Linear(3136,128), ReLU, Linear(128,10))
/// Throws ember::Error listing the known names for an unknown name.
std::shared_ptr<nn::Module> make_model(const std::string& name);

/// The names make_model accepts, in a stable order.
std::vector<std::string> model_names();

/// The individual builders behind make_model.
std::shared_ptr<nn::Sequential> make_mlp();
std::shared_ptr<nn::Sequential> make_lenet();

}  // namespace ember::models
