// "mlp": a three-layer perceptron for 28x28 single-channel images.
#include "ember/models/zoo.h"

namespace ember::models {

std::shared_ptr<nn::Sequential> make_mlp() {
  using namespace ember::nn;
  return std::make_shared<Sequential>(std::make_shared<Flatten>(), std::make_shared<Linear>(784, 512),
                                      std::make_shared<ReLU>(), std::make_shared<Linear>(512, 512),
                                      std::make_shared<ReLU>(), std::make_shared<Linear>(512, 10));
}

}  // namespace ember::models
