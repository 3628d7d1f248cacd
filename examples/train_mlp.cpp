// A first ember program: trains a two-hidden-layer perceptron to separate two interleaved spirals,
// printing the loss as it falls. Everything is the public API: tensors, autograd, ops.
//   train_mlp [steps] [seed]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ember/ember.h"

using namespace ember;

namespace {

// Two spirals of n points each: x (2n,2) float32, y (2n) int64 class labels.
void make_spirals(int64_t n, Tensor& x, Tensor& y) {
  std::vector<float> xs;
  std::vector<int64_t> ys;
  Generator& g = default_generator();
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < n; ++i) {
      double r = static_cast<double>(i) / n * 5.0 + 0.2;
      double t = 1.0 * static_cast<double>(i) / n * 2 * M_PI + c * M_PI;
      xs.push_back(static_cast<float>(r * std::cos(t) / 5.0 + 0.02 * g.normal()));
      xs.push_back(static_cast<float>(r * std::sin(t) / 5.0 + 0.02 * g.normal()));
      ys.push_back(c);
    }
  x = from_vector(xs, {2 * n, 2});
  y = from_vector(ys, {2 * n});
}

// PyTorch's default Linear initialisation: U(-1/sqrt(in), 1/sqrt(in)).
Tensor init_uniform(const Shape& s, int64_t fan_in) {
  double b = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return sub(mul(rand(s), 2 * b), b).set_requires_grad();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int steps = argc > 1 ? std::stoi(argv[1]) : 600;
    uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 0;
    if (steps <= 0) throw Error("steps must be positive");
    manual_seed(seed);

    Tensor x, y;
    make_spirals(200, x, y);
    const int64_t hidden = 64;
    std::vector<Tensor> params = {init_uniform({hidden, 2}, 2), init_uniform({hidden}, 2),
                                  init_uniform({hidden, hidden}, hidden), init_uniform({hidden}, hidden),
                                  init_uniform({2, hidden}, hidden), init_uniform({2}, hidden)};
    std::vector<Tensor> velocity;
    for (auto& p : params) velocity.push_back(zeros_like(p));
    const double lr = 0.2, momentum = 0.9;

    auto forward = [&](const Tensor& in) {
      Tensor h = tanh(linear(in, params[0], params[1]));  // (N,64)
      h = tanh(linear(h, params[2], params[3]));         // (N,64)
      return linear(h, params[4], params[5]);            // (N,2) logits
    };

    std::printf("training a 2-64-64-2 MLP on %lld spiral points for %d steps (SGD, lr %.2f, momentum %.1f)\n",
                static_cast<long long>(x.size(0)), steps, lr, momentum);
    double first = 0, last = 0;
    for (int step = 1; step <= steps; ++step) {
      Tensor loss = cross_entropy(forward(x), y);
      for (auto& p : params) p.zero_grad();
      loss.backward();
      {
        NoGradGuard no_grad;
        for (size_t i = 0; i < params.size(); ++i) {
          velocity[i] = add(mul(velocity[i], momentum), params[i].grad());
          params[i].copy_(sub(params[i], mul(velocity[i], lr)));
        }
      }
      last = loss.item();
      if (step == 1) first = last;
      if (step == 1 || step % (steps / 10 > 0 ? steps / 10 : 1) == 0)
        std::printf("step %4d  loss %.4f\n", step, last);
    }
    NoGradGuard no_grad;
    double acc = mean(eq(argmax(forward(x), 1), y).to(kFloat32)).item();
    std::printf("loss %.4f -> %.4f, training accuracy %.1f%%\n", first, last, 100 * acc);
    return last < 0.5 * first ? 0 : 1;  // non-zero when training failed to halve the loss
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_mlp: %s\n", e.what());
    return 1;
  }
}
