// ResNet building blocks for the zoo (internal to models/): torchvision's BasicBlock and
// Bottleneck and the ResNet trunk, with torchvision's module names so state dicts match
// key for key (conv1, bn1, layer1.0.conv1, ..., layer1.0.downsample.0, fc).
#pragma once
#include <memory>

#include "ember/models/zoo.h"

namespace ember::models {

/// torchvision.models.resnet.BasicBlock: conv3x3(stride) → BN → ReLU → conv3x3 → BN, plus the
/// identity (or `downsample`: conv1x1(stride) → BN when the shape changes), then ReLU.
class BasicBlock : public nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  /// Requires in, planes >= 1 and stride >= 1.
  BasicBlock(int64_t in, int64_t planes, int64_t stride);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<nn::ReLU> relu_;
  std::shared_ptr<nn::Sequential> downsample_;  // null for the identity
};

/// torchvision.models.resnet.Bottleneck (ResNet v1.5: the stride sits on the 3x3 conv):
/// conv1x1 → BN → ReLU → conv3x3(stride) → BN → ReLU → conv1x1 (4x planes) → BN, plus the
/// identity or downsample, then ReLU.
class Bottleneck : public nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t in, int64_t planes, int64_t stride);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<nn::ReLU> relu_;
  std::shared_ptr<nn::Sequential> downsample_;
};

/// The trunk: stem (conv1, bn1, relu, maxpool unless small_stem), one stage per entry of
/// opts.layers named layer1..layerK, global average pooling, flatten and fc.
class ResNet : public nn::Module {
 public:
  explicit ResNet(const ResNetOptions& opts);
  Tensor forward(const Tensor& x) override;
  const ResNetOptions& options() const { return opts_; }

 private:
  ResNetOptions opts_;
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::ReLU> relu_;
  std::shared_ptr<nn::MaxPool2d> maxpool_;  // null with the small-image stem
  std::vector<std::shared_ptr<nn::Sequential>> layers_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace ember::models
