// ResNet for the zoo: torchvision's BasicBlock / Bottleneck / ResNet (names, shapes and
// initialisation as torchvision.models.resnet), resnet18/34/50, and resnet20, He et al.'s
// 6n+2 CIFAR network (16/32/64 channels) built from the same blocks with a 3x3 stem.
#include "models/resnet.h"

#include "ember/nn/init.h"
#include "ember/ops/elementwise.h"

namespace ember::models {

namespace {

std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t k, int64_t stride) {
  return std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(false));
}

/// conv1x1(stride) → BN when a block changes shape, else null (the identity).
std::shared_ptr<nn::Sequential> make_downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return nullptr;
  return std::make_shared<nn::Sequential>(conv(in, out, 1, stride), std::make_shared<nn::BatchNorm2d>(out));
}

void check_block_args(const char* what, int64_t in, int64_t planes, int64_t stride) {
  EMBER_CHECK(in >= 1 && planes >= 1 && stride >= 1, what, ": in, planes and stride must be >= 1, got ", in, ", ",
              planes, ", ", stride);
}

}  // namespace

BasicBlock::BasicBlock(int64_t in, int64_t planes, int64_t stride) : Module("BasicBlock") {
  check_block_args("BasicBlock", in, planes, stride);
  conv1_ = register_module("conv1", conv(in, planes, 3, stride));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(planes));
  relu_ = register_module("relu", std::make_shared<nn::ReLU>());
  conv2_ = register_module("conv2", conv(planes, planes, 3, 1));
  bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(planes));
  if ((downsample_ = make_downsample(in, planes * kExpansion, stride))) register_module("downsample", downsample_);
}

Tensor BasicBlock::forward(const Tensor& x) {  // (N,in,H,W) -> (N,planes,H/s,W/s)
  Tensor out = (*relu_)((*bn1_)((*conv1_)(x)));
  out = (*bn2_)((*conv2_)(out));
  return (*relu_)(out + (downsample_ ? (*downsample_)(x) : x));
}

Bottleneck::Bottleneck(int64_t in, int64_t planes, int64_t stride) : Module("Bottleneck") {
  check_block_args("Bottleneck", in, planes, stride);
  conv1_ = register_module("conv1", conv(in, planes, 1, 1));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(planes));
  conv2_ = register_module("conv2", conv(planes, planes, 3, stride));
  bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(planes));
  conv3_ = register_module("conv3", conv(planes, planes * kExpansion, 1, 1));
  bn3_ = register_module("bn3", std::make_shared<nn::BatchNorm2d>(planes * kExpansion));
  relu_ = register_module("relu", std::make_shared<nn::ReLU>());
  if ((downsample_ = make_downsample(in, planes * kExpansion, stride))) register_module("downsample", downsample_);
}

Tensor Bottleneck::forward(const Tensor& x) {  // (N,in,H,W) -> (N,4*planes,H/s,W/s)
  Tensor out = (*relu_)((*bn1_)((*conv1_)(x)));
  out = (*relu_)((*bn2_)((*conv2_)(out)));
  out = (*bn3_)((*conv3_)(out));
  return (*relu_)(out + (downsample_ ? (*downsample_)(x) : x));
}

ResNet::ResNet(const ResNetOptions& o) : Module("ResNet"), opts_(o) {
  EMBER_CHECK(o.block == "basic" || o.block == "bottleneck", "ResNet: block must be 'basic' or 'bottleneck', got '",
              o.block, "'");
  EMBER_CHECK(!o.layers.empty() && o.layers.size() == o.widths.size(), "ResNet: layers and widths need one entry per "
              "stage, got ", o.layers.size(), " and ", o.widths.size());
  EMBER_CHECK(o.num_classes >= 1 && o.in_channels >= 1 && o.stem_width >= 1,
              "ResNet: num_classes, in_channels and stem_width must be >= 1");
  const bool basic = o.block == "basic";
  const int64_t expansion = basic ? BasicBlock::kExpansion : Bottleneck::kExpansion;
  // Stem: torchvision's 7x7/2 conv + 3x3/2 max pool, or a 3x3/1 conv alone for 28-32 pixel images.
  conv1_ = register_module("conv1", o.small_stem ? conv(o.in_channels, o.stem_width, 3, 1)
                                                 : std::make_shared<nn::Conv2d>(nn::Conv2dOptions(o.in_channels, o.stem_width, 7)
                                                                                    .stride(2).padding(3).bias(false)));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(o.stem_width));
  relu_ = register_module("relu", std::make_shared<nn::ReLU>());
  if (!o.small_stem) maxpool_ = register_module("maxpool", std::make_shared<nn::MaxPool2d>(3, 2, 1));
  int64_t in = o.stem_width;
  for (size_t s = 0; s < o.layers.size(); ++s) {
    EMBER_CHECK(o.layers[s] >= 1 && o.widths[s] >= 1, "ResNet: stage ", s + 1, " needs >= 1 block of width >= 1");
    auto stage = std::make_shared<nn::Sequential>();
    for (int64_t b = 0; b < o.layers[s]; ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      if (basic) stage->push_back(std::make_shared<BasicBlock>(in, o.widths[s], stride));
      else stage->push_back(std::make_shared<Bottleneck>(in, o.widths[s], stride));
      in = o.widths[s] * expansion;
    }
    layers_.push_back(register_module("layer" + std::to_string(s + 1), stage));
  }
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
  fc_ = register_module("fc", std::make_shared<nn::Linear>(in, o.num_classes));

  // torchvision's initialisation: He normal (fan_out, relu) for every conv, BN weight 1 bias 0
  // (BatchNorm2d's own defaults); the fc keeps Linear's default.
  for (auto& [name, m] : named_modules())
    if (auto c = std::dynamic_pointer_cast<nn::Conv2d>(m)) nn::init::kaiming_normal_(c->weight(), 0.0, "fan_out", "relu");
  if (o.zero_init_residual) {
    for (auto& [name, m] : named_modules()) {
      const bool last_bn = name.size() > 4 && (basic ? name.ends_with(".bn2") : name.ends_with(".bn3"));
      if (last_bn) nn::init::zeros_(std::dynamic_pointer_cast<nn::BatchNorm2d>(m)->weight());
    }
  }
}

Tensor ResNet::forward(const Tensor& x) {  // (N,in_channels,H,W) -> (N,num_classes)
  EMBER_CHECK(x.defined() && x.dim() == 4 && x.size(1) == opts_.in_channels, "ResNet.forward: expected a (N, ",
              opts_.in_channels, ", H, W) input, got ", x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  Tensor h = (*relu_)((*bn1_)((*conv1_)(x)));
  if (maxpool_) h = (*maxpool_)(h);
  for (auto& stage : layers_) h = (*stage)(h);
  h = (*avgpool_)(h);               // (N, C, 1, 1)
  return (*fc_)(h.flatten(1));      // (N, num_classes)
}

std::shared_ptr<nn::Module> make_resnet(int64_t depth, ResNetOptions o) {
  switch (depth) {
    case 18: o.block = "basic", o.layers = {2, 2, 2, 2}; break;
    case 34: o.block = "basic", o.layers = {3, 4, 6, 3}; break;
    case 50: o.block = "bottleneck", o.layers = {3, 4, 6, 3}; break;
    default: EMBER_FAIL("make_resnet: depth must be 18, 34 or 50, got ", depth);
  }
  o.widths = {64, 128, 256, 512};
  o.stem_width = 64;
  return std::make_shared<ResNet>(o);
}

std::shared_ptr<nn::Module> make_resnet20(ResNetOptions o) {
  o.block = "basic";
  o.layers = {3, 3, 3};
  o.widths = {16, 32, 64};
  o.stem_width = 16;
  o.small_stem = true;
  return std::make_shared<ResNet>(o);
}

}  // namespace ember::models
