// Backend cases that train: a few optimizer steps of the zoo models (BatchNorm batch
// statistics and dropout on), compared with the same steps on the CPU (losses, parameters,
// BatchNorm running statistics). Dropout masks come from the host generator, so they agree.
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

}  // namespace

std::vector<BackendCase> training_cases() {
  std::vector<BackendCase> v;
  v.push_back({"train_lenet_sgd_3_steps", [](const Device& d) { return train_steps(d, "lenet", "sgd", 3); }, 2e-3, 2e-4});
  v.push_back({"train_mlp_adamw_3_steps", [](const Device& d) { return train_steps(d, "mlp", "adamw", 3); }, 2e-3, 2e-4});
  return v;
}

}  // namespace ember::test
