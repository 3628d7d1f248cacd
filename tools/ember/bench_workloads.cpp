// Benchmark workloads (see bench_workloads.h). Shapes and settings match bench/compare_pytorch.py:
// bf16 training/inference runs the forward pass (and loss) under autocast, as PyTorch's
// torch.autocast("cpu", dtype=torch.bfloat16), with float32 weights and optimizer.
#include "bench_workloads.h"

#include <cstdio>

#include "ember/models/text.h"
#include "models/zoo.h"
#include "recipe.h"

namespace ember::cli {
namespace {

Tensor class_targets(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = i % 10;
  return from_vector(v, {n});
}

void require_fp32(const std::string& workload, const std::string& precision) {
  EMBER_CHECK(precision == "fp32", "bench: workload '", workload, "' runs in fp32 only (", precision,
              " has no meaning for it)");
}

/// One training step of a zoo model: forward, cross-entropy (under autocast to `low` unless
/// it is float32), backward, SGD momentum update.
Workload train_step(const std::string& model_name, Device device, int64_t batch, DType low,
                    const models::ModelConfig& input = kDatasetInput) {
  manual_seed(0);
  auto model = models::make_model(model_name, input);
  model->to(device);
  model->train();
  auto opt = std::make_shared<optim::SGD>(model->parameters(), optim::SGDOptions(0.01).with_momentum(0.9));
  Tensor x = randn({batch, input.in_channels, input.image_size, input.image_size}).to(device);
  Tensor y = class_targets(batch).to(device);
  Workload w{model_name, "samples_per_s", static_cast<double>(batch), 1, {}, {}};
  w.run = [model, opt, x, y, low] {
    Tensor loss;
    {
      amp::AutocastGuard ac(low == kFloat32 ? kBFloat16 : low, low != kFloat32);
      loss = cross_entropy((*model)(x), y);
    }
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
  return w;
}

/// One training step of a language model on random bytes: batch 32 x context 128, forward,
/// cross-entropy (autocast to `low` unless float32), backward, AdamW (the text recipe's).
Workload text_train_step(const std::string& model_name, Device device, DType low) {
  manual_seed(0);
  auto model = models::make_text_model(model_name);
  model->to(device);
  model->train();
  auto opt = std::make_shared<optim::AdamW>(model->parameters(), optim::AdamWOptions(3e-3).with_weight_decay(0.1));
  const int64_t B = 32, T = 128;
  Tensor x = mul(rand({B, T}), 256.0).to(kInt64).to(device), y = mul(rand({B, T}), 256.0).to(kInt64).to(device);
  Workload w{model_name, "samples_per_s", static_cast<double>(B), 1, {}, {}};
  w.run = [model, opt, x, y, low] {
    Tensor loss;
    {
      amp::AutocastGuard ac(low == kFloat32 ? kBFloat16 : low, low != kFloat32);
      Tensor logits = (*model)(x);
      loss = cross_entropy(logits.reshape({-1, logits.size(-1)}), y.reshape({-1}));
    }
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
  return w;
}

/// 128 tokens decoded one at a time by the gpt from a fresh key/value cache (batch 1, greedy).
Workload gpt_generate(Device device, DType low) {
  manual_seed(0);
  auto model = models::make_text_model("gpt");
  model->to(device);
  model->eval();
  Workload w{"gpt-generate", "tokens_per_s", 128, 1, {}, {}};
  w.run = [model, device, low] {
    NoGradGuard ng;
    amp::AutocastGuard ac(low == kFloat32 ? kBFloat16 : low, low != kFloat32);
    auto state = model->begin_generation(1);
    Tensor tok = zeros({1, 1}, kInt64).to(device);
    for (int i = 0; i < 128; ++i) tok = argmax(model->feed(tok, *state), 1, /*keepdim=*/true);
  };
  return w;
}

}  // namespace

Workload make_workload(const std::string& name, Device device, const std::string& precision) {
  EMBER_CHECK(precision == "fp32" || precision == "bf16", "bench: unknown precision '", precision, "' (fp32, bf16)");
  const DType low = precision == "bf16" ? kBFloat16 : kFloat32;
  // Never a silent fallback to slow loops: refused where the device cannot, said where it is slow.
  if (low != kFloat32 && amp::require_precision(device, low).support == amp::PrecisionSupport::Reference)
    std::fprintf(stderr, "ember: note: %s on %s runs on ember's reference loops: this measures them, not fast kernels\n",
                 precision.c_str(), device.str().c_str());
  Workload w;
  if (name == "mlp" || name == "lenet" || name == "resnet20") {
    w = train_step(name, device, 128, low);
  } else if (name == "resnet50") {  // ImageNet-sized training step, batch 8, 1000 classes
    w = train_step(name, device, 8, low, {1000, 3, 224});
  } else if (name == "charlstm" || name == "gpt") {
    w = text_train_step(name, device, low);
  } else if (name == "gpt-generate") {
    w = gpt_generate(device, low);
  } else if (name == "mlp-infer" || name == "resnet50-infer") {
    const bool resnet = name == "resnet50-infer";
    manual_seed(0);
    auto model = resnet ? models::make_model("resnet50", {1000, 3, 224}) : models::make_model("mlp");
    model->to(device);
    model->eval();
    Tensor x = (resnet ? randn({1, 3, 224, 224}) : randn({1, 1, 28, 28})).to(device);
    w = Workload{name, "ms_per_batch", 1, 1, {}, {}};
    w.run = [model, x, low] {
      NoGradGuard ng;
      amp::AutocastGuard ac(low == kFloat32 ? kBFloat16 : low, low != kFloat32);
      Tensor out = (*model)(x);
    };
  } else if (name == "gemm") {
    const int64_t n = 2048;
    DType t = precision == "bf16" ? kBFloat16 : kFloat32;
    Tensor a = randn({n, n}).to(t).to(device), b = randn({n, n}).to(t).to(device);
    w = Workload{name, "gflops", 2.0 * n * n * n, 1, {}, {}};
    w.run = [a, b] {
      NoGradGuard ng;
      Tensor c = matmul(a, b);
    };
  } else if (name == "tiny-op") {
    require_fp32(name, precision);
    Tensor a = randn({8}).to(device), b = randn({8}).to(device);
    const int64_t inner = 1000;
    w = Workload{name, "us_per_op", 1, inner, {}, {}};
    w.run = [a, b] {
      NoGradGuard ng;
      for (int64_t i = 0; i < inner; ++i) Tensor c = add(a, b);
    };
  } else if (name == "attention") {  // causal self-attention of a small GPT: forward + backward
    Shape s{32, 4, 128, 32};           // (batch, heads, tokens, head_dim)
    DType t = precision == "bf16" ? kBFloat16 : kFloat32;
    Tensor q = randn(s).to(t).to(device), k = randn(s).to(t).to(device), v = randn(s).to(t).to(device);
    for (Tensor* x : {&q, &k, &v}) x->set_requires_grad(true);
    Tensor g = randn(s).to(t).to(device);
    w = Workload{name, "ms_per_batch", 1, 1, {}, {}};
    w.run = [q, k, v, g] { scaled_dot_product_attention(q, k, v, true).backward(g); };
  } else {
    std::string known;
    for (const char* k : kWorkloads) known += (known.empty() ? "" : ", ") + std::string(k);
    EMBER_FAIL("bench: unknown workload '", name, "' (", known, ")");
  }
  w.sync = [device] { synchronize(device); };
  return w;
}

}  // namespace ember::cli
