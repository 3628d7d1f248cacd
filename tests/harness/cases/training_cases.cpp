// Backend cases that train: a few optimizer steps of the zoo models (BatchNorm batch
// statistics and dropout on), compared with the same steps on the CPU (losses, parameters,
// BatchNorm running statistics; for resnet20 also every gradient). Dropout draws one counter-based stream seeded from the host
// generator on every backend (the CPU's fused kernel, a host-built mask elsewhere), so they agree.
#include "harness/backend_cases.h"
#include "harness/op_harness.h"
#include "models/zoo.h"

namespace ember::test {
namespace {

/// Steps of `opt_name` ("sgd" or "adamw") on model `name` at batch 16, from seed 0; returns
/// the losses, then every parameter and buffer, on the CPU.
std::vector<Tensor> train_steps(const Device& d, const std::string& name, const std::string& opt_name, int steps) {
  manual_seed(0);
  nn::ModulePtr model = models::make_model(name);
  model->to(d);
  model->train();
  std::unique_ptr<optim::Optimizer> opt;
  if (opt_name == "sgd") opt = std::make_unique<optim::SGD>(model->parameters(), 0.05, 0.9);
  else opt = std::make_unique<optim::AdamW>(model->parameters(), 1e-3);
  std::vector<int64_t> labels(16);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(i % 10);
  const Tensor y = from_vector(labels, {16}).to(d);
  std::vector<Tensor> out;
  for (int s = 0; s < steps; ++s) {
    Tensor x = uniform({16, 1, 28, 28}, -1, 1, 100 + s).to(DType::Float32).to(d);
    opt->zero_grad();
    Tensor loss = cross_entropy((*model)(x), y);
    loss.backward();
    opt->step();
    out.push_back(loss.detach().to(Device("cpu")));
  }
  for (const Tensor& p : model->parameters()) out.push_back(p.detach().to(Device("cpu")));
  for (const Tensor& b : model->buffers()) out.push_back(b.to(Device("cpu")));
  return out;
}

/// One SGD step (momentum 0.9) of resnet20 at batch 8 from seed 0, BatchNorm in training mode;
/// returns the loss, every parameter's gradient, every updated parameter and every buffer
/// (running statistics, num_batches_tracked), on the CPU.
std::vector<Tensor> resnet20_step(const Device& d) {
  manual_seed(0);
  nn::ModulePtr model = models::make_model("resnet20");
  model->to(d);
  model->train();
  optim::SGD opt(model->parameters(), 0.05, 0.9);
  const Tensor x = uniform({8, 1, 28, 28}, -1, 1, 120).to(DType::Float32).to(d);
  const Tensor y = from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}, {8}).to(d);
  opt.zero_grad();
  Tensor loss = cross_entropy((*model)(x), y);
  loss.backward();
  std::vector<Tensor> out{loss.detach().to(Device("cpu"))};
  for (const Tensor& p : model->parameters()) out.push_back(p.grad().to(Device("cpu")));
  opt.step();
  for (const Tensor& p : model->parameters()) out.push_back(p.detach().to(Device("cpu")));
  for (const Tensor& b : model->buffers()) out.push_back(b.to(Device("cpu")));
  return out;
}

/// Three steps of each optimizer (fused on the device when it has the kernel) on a float32
/// and a float64 parameter with fixed gradients; returns the parameters.
std::vector<Tensor> optimizer_steps(const Device& d) {
  std::vector<Tensor> out;
  for (int which = 0; which < 3; ++which) {
    Tensor p32 = uniform({37, 5}, -1, 1, 300 + which).to(DType::Float32).to(d).set_requires_grad(true);
    Tensor p64 = uniform({19}, -1, 1, 310 + which).to(d).set_requires_grad(true);
    std::unique_ptr<optim::Optimizer> opt;
    if (which == 0)
      opt = std::make_unique<optim::SGD>(
          std::vector<Tensor>{p32, p64},
          optim::SGDOptions(0.1).with_momentum(0.9).with_nesterov().with_weight_decay(1e-2));
    else if (which == 1)
      opt = std::make_unique<optim::Adam>(std::vector<Tensor>{p32, p64}, optim::AdamOptions(1e-2).with_weight_decay(1e-2));
    else
      opt = std::make_unique<optim::AdamW>(std::vector<Tensor>{p32, p64}, optim::AdamWOptions(1e-2));
    for (int s = 0; s < 3; ++s) {
      p32.set_grad(uniform({37, 5}, -1, 1, 400 + s).to(DType::Float32).to(d));
      p64.set_grad(uniform({19}, -1, 1, 410 + s).to(d));
      opt->step();
    }
    out.push_back(p32.detach().to(Device("cpu")));
    out.push_back(p64.detach().to(Device("cpu")));
  }
  return out;
}

}  // namespace

std::vector<BackendCase> training_cases() {
  std::vector<BackendCase> v;
  v.push_back({"optimizer_updates", optimizer_steps, 1e-5, 1e-6});
  v.push_back({"train_lenet_sgd_3_steps", [](const Device& d) { return train_steps(d, "lenet", "sgd", 3); }, 2e-3, 2e-4});
  v.push_back({"train_resnet20_sgd_1_step", resnet20_step, 2e-4, 2e-6});
  v.push_back({"train_mlp_adamw_3_steps", [](const Device& d) { return train_steps(d, "mlp", "adamw", 3); }, 2e-3, 2e-4});
  return v;
}

}  // namespace ember::test
