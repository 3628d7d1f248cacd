// The README's library example as a program: one AdamW step of the zoo's LeNet on random
// 28x28 images, then the weights saved as safetensors. Uses the installed package's
// <ember/models/zoo.h> (target ember::models; pkg-config ember-models).
//   zoo_lenet [weights.safetensors]
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <ember/ember.h>
#include <ember/models/zoo.h>

using namespace ember;

int main(int argc, char** argv) {
  try {
    const std::string out = argc > 1 ? argv[1] : "";
    auto model = models::make_model("lenet");  // nn::Sequential, PyTorch layout
    optim::AdamW opt(model->parameters(), optim::AdamWOptions(3e-3));
    Tensor x = randn({64, 1, 28, 28});
    Tensor y = from_vector(std::vector<int64_t>(64, 3), {64});
    Tensor loss = cross_entropy((*model)(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    std::printf("lenet: one AdamW step, loss %.4f\n", loss.item());
    if (!out.empty()) {
      io::save_safetensors(out, model->state_dict());
      std::printf("weights written to %s\n", out.c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zoo_lenet: %s\n", e.what());
    return 1;
  }
}
