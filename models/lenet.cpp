// "lenet": a small LeNet-style CNN (two conv/BN/ReLU/pool stages, dropout, two linear
// layers) for 28x28 single-channel images: 28 -> pool 14 -> pool 7, 64*7*7 = 3136 features.
#include "ember/models/zoo.h"

namespace ember::models {

std::shared_ptr<nn::Sequential> make_lenet() {
  using namespace ember::nn;
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(Conv2dOptions(1, 32, 3).padding(1)), std::make_shared<BatchNorm2d>(32),
      std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2),
      std::make_shared<Conv2d>(Conv2dOptions(32, 64, 3).padding(1)), std::make_shared<BatchNorm2d>(64),
      std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
      std::make_shared<Dropout>(0.3), std::make_shared<Linear>(3136, 128), std::make_shared<ReLU>(),
      std::make_shared<Linear>(128, 10));
}

}  // namespace ember::models
