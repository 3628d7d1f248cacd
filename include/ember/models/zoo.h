// The model zoo: named architectures built from ember::nn modules, laid out exactly as their
// PyTorch counterparts (same module names and indices, so state dicts carry over key for key).
// Library: ember::models (CMake) or ember-models (pkg-config); not part of ember/ember.h.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/nn.h"

namespace ember::models {

/// What a model is built for: images of channels x height x width and num_classes logits.
/// In a ModelConfig, 0 means "the model's default" (ModelInfo::input).
struct ModelConfig {
  int64_t num_classes = 0;
  int64_t in_channels = 0;
  int64_t image_size = 0;  // height = width
};

/// One zoo entry: its name, a one-line description and the input it is built for by default.
struct ModelInfo {
  std::string name;
  std::string description;
  ModelConfig input;         // default classes, channels and image size (all > 0)
  bool fixed_input = false;  // mlp/lenet: only the default input is possible
  bool language_model = false;  // charlstm/gpt: built by make_text_model (ember/models/text.h), not make_model
};

/// Every zoo model, in a stable order:
///   "mlp":      Sequential(Flatten, Linear(784,512), ReLU, Linear(512,512), ReLU, Linear(512,10))
///   "lenet":    Sequential(Conv2d(1,32,3,padding=1), BatchNorm2d(32), ReLU, MaxPool2d(2),
///                          Conv2d(32,64,3,padding=1), BatchNorm2d(64), ReLU, MaxPool2d(2),
///                          Flatten, Dropout(0.3), Linear(3136,128), ReLU, Linear(128,10))
///   "resnet20": He et al. 2016's 6n+2 CIFAR ResNet (n=3, 16/32/64 channels, 3x3 stem), built from
///               torchvision's BasicBlock with 1x1-conv downsample shortcuts; 1x28x28, 10 classes.
///   "resnet18", "resnet34", "resnet50": torchvision's architectures, names and shapes; 3x224x224,
///               1000 classes by default. Built for images of <= 64 pixels they take the
///               small-image stem (3x3 stride-1 conv1, no max pool); state dict names are unchanged.
///   "charlstm", "gpt": language models over bytes (language_model set; see ember/models/text.h).
const std::vector<ModelInfo>& model_infos();

/// The names make_model accepts, in model_infos() order.
std::vector<std::string> model_names();

/// The zoo entry `name`; throws ember::Error listing the known names for an unknown name.
const ModelInfo& model_info(const std::string& name);

/// The input a model is built for: config's non-zero fields over the model's defaults.
/// Throws ember::Error for a fixed-input model asked for another input, or sizes < 1.
ModelConfig resolve_config(const std::string& name, const ModelConfig& config = {});

/// Builds a freshly initialised model (parameters drawn from the default generator) in
/// training mode for resolve_config(name, config). It takes (N, C, H, W) float32 images and
/// returns (N, num_classes) logits. Throws ember::Error for an unknown name, a language model
/// (make_text_model builds those) or an impossible config.
std::shared_ptr<nn::Module> make_model(const std::string& name, const ModelConfig& config = {});

/// The individual builders behind make_model.
std::shared_ptr<nn::Sequential> make_mlp();
std::shared_ptr<nn::Sequential> make_lenet();

/// A torchvision-style ResNet's shape. layers[i] blocks of width widths[i] in stage i+1
/// (stride 2 at the start of every stage after the first).
struct ResNetOptions {
  std::string block = "basic";  // "basic" (BasicBlock) or "bottleneck" (Bottleneck, expansion 4)
  std::vector<int64_t> layers = {2, 2, 2, 2};
  std::vector<int64_t> widths = {64, 128, 256, 512};
  int64_t num_classes = 1000;
  int64_t in_channels = 3;
  int64_t stem_width = 64;
  bool small_stem = false;          // 3x3 stride-1 conv1 and no max pool (28/32-pixel images)
  bool zero_init_residual = false;  // torchvision's option: last BN weight of each block = 0
};

/// torchvision.models.resnet{18,34,50}(num_classes, ...) with in_channels and small_stem taken
/// from o (its block/layers/widths/stem_width are overwritten). Requires depth 18, 34 or 50.
std::shared_ptr<nn::Module> make_resnet(int64_t depth, ResNetOptions o = {});

/// resnet20 (0.27M parameters at 3 input channels) with num_classes and in_channels from o.
std::shared_ptr<nn::Module> make_resnet20(ResNetOptions o = {.num_classes = 10, .in_channels = 1});

}  // namespace ember::models
