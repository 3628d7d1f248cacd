// Model zoo registry: name -> description, default input and builder.
#include "ember/models/zoo.h"

#include <functional>
#include <utility>

namespace ember::models {

namespace {

using Builder = std::function<std::shared_ptr<nn::Module>(const ModelConfig&)>;

struct Entry {
  ModelInfo info;
  Builder build;
};

ResNetOptions resnet_options(const ModelConfig& c) {
  ResNetOptions o;
  o.num_classes = c.num_classes;
  o.in_channels = c.in_channels;
  o.small_stem = c.image_size <= 64;
  return o;
}

const std::vector<Entry>& registry() {
  static const std::vector<Entry> r = {
      {{"mlp", "3-layer perceptron (784-512-512-10)", {10, 1, 28}, true},
       [](const ModelConfig&) { return std::static_pointer_cast<nn::Module>(make_mlp()); }},
      {{"lenet", "LeNet-style CNN: 2 x (conv, BN, ReLU, pool), dropout, 2 linear", {10, 1, 28}, true},
       [](const ModelConfig&) { return std::static_pointer_cast<nn::Module>(make_lenet()); }},
      {{"resnet20", "He et al.'s CIFAR ResNet-20 (3 stages x 3 basic blocks, 16/32/64 channels)", {10, 1, 28}, false},
       [](const ModelConfig& c) { return make_resnet20(resnet_options(c)); }},
      {{"resnet18", "torchvision ResNet-18 (basic blocks 2-2-2-2); small-image stem at <= 64 px", {1000, 3, 224}, false},
       [](const ModelConfig& c) { return make_resnet(18, resnet_options(c)); }},
      {{"resnet34", "torchvision ResNet-34 (basic blocks 3-4-6-3); small-image stem at <= 64 px", {1000, 3, 224}, false},
       [](const ModelConfig& c) { return make_resnet(34, resnet_options(c)); }},
      {{"resnet50", "torchvision ResNet-50 (bottlenecks 3-4-6-3); small-image stem at <= 64 px", {1000, 3, 224}, false},
       [](const ModelConfig& c) { return make_resnet(50, resnet_options(c)); }},
      {{"charlstm", "character-level LSTM: byte embedding 128, 2 LSTM layers of 256, linear to 256 bytes", {}, false,
        true},
       nullptr},
      {{"gpt", "nanoGPT decoder-only transformer: 4 layers, 4 heads, width 128, context 128, bytes", {}, false, true},
       nullptr},
  };
  return r;
}

const Entry& entry(const std::string& name) {
  for (const auto& e : registry())
    if (e.info.name == name) return e;
  std::string known;
  for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
  EMBER_FAIL("unknown model '", name, "'; known models: ", known);
}

}  // namespace

const std::vector<ModelInfo>& model_infos() {
  static const std::vector<ModelInfo> infos = [] {
    std::vector<ModelInfo> v;
    for (const auto& e : registry()) v.push_back(e.info);
    return v;
  }();
  return infos;
}

std::vector<std::string> model_names() {
  std::vector<std::string> out;
  for (const auto& e : registry()) out.push_back(e.info.name);
  return out;
}

const ModelInfo& model_info(const std::string& name) { return entry(name).info; }

ModelConfig resolve_config(const std::string& name, const ModelConfig& config) {
  const ModelInfo& info = model_info(name);
  EMBER_CHECK(!info.language_model, "model '", name,
              "' is a language model over bytes, not an image classifier (build it with make_text_model)");
  EMBER_CHECK(config.num_classes >= 0 && config.in_channels >= 0 && config.image_size >= 0, "model '", name,
              "': classes, channels and image size must be >= 1 (or 0 for the default)");
  ModelConfig c = info.input;
  if (config.num_classes) c.num_classes = config.num_classes;
  if (config.in_channels) c.in_channels = config.in_channels;
  if (config.image_size) c.image_size = config.image_size;
  if (info.fixed_input)
    EMBER_CHECK(c.num_classes == info.input.num_classes && c.in_channels == info.input.in_channels &&
                    c.image_size == info.input.image_size,
                "model '", name, "' takes only ", info.input.in_channels, "x", info.input.image_size, "x",
                info.input.image_size, " images and ", info.input.num_classes, " classes, not ", c.in_channels, "x",
                c.image_size, "x", c.image_size, " and ", c.num_classes);
  return c;
}

std::shared_ptr<nn::Module> make_model(const std::string& name, const ModelConfig& config) {
  const Entry& e = entry(name);
  return e.build(resolve_config(name, config));
}

}  // namespace ember::models
