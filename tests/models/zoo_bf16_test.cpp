// bfloat16 autocast (what `ember train --precision bf16` runs) for every zoo model: forward +
// cross-entropy + backward under amp::AutocastGuard(kBFloat16), in training and in eval mode,
// runs, keeps float32 parameters and gradients, and gives logits, loss and gradients close to
// the float32 step from the same weights (tolerances and why, above the tests).
#include <cmath>
#include <cstdio>

#include "harness/op_harness.h"
#include "models/zoo.h"

using namespace ember;
using namespace ember::test;

namespace {

struct Step {
  Tensor logits, loss;
  std::map<std::string, Tensor> grads;
};

/// One step of m on (x, y) in training or eval mode, under bfloat16 autocast or not. The
/// BatchNorm running statistics are put back afterwards and the generator reseeded (dropout
/// masks), so every step starts from the same state.
Step run_step(nn::Module& m, const Tensor& x, const Tensor& y, bool train, bool bf16) {
  manual_seed(41);
  auto saved = m.state_dict();
  for (auto& [k, v] : saved) v = v.clone();
  m.train(train);
  m.zero_grad();
  Step s;
  {
    amp::AutocastGuard ac(kBFloat16, bf16);
    s.logits = m.forward(x);
    s.loss = cross_entropy(s.logits, y);
  }
  s.loss.backward();
  for (auto& [name, p] : m.named_parameters()) s.grads[name] = p.grad().defined() ? p.grad().clone() : Tensor();
  m.load_state_dict(saved);
  return s;
}

double rel_err(const Tensor& a, const Tensor& b) {  // ||a - b|| / ||b||, in float64
  Tensor a64 = a.to(kFloat64), b64 = b.to(kFloat64);
  return std::sqrt(sum(square(sub(a64, b64))).item() / sum(square(b64)).item());
}

struct Gap {
  double logits, loss, grads, cosine;
};

/// bf16 against fp32 for one mode: relative 2-norm errors of logits, loss and all gradients
/// together, and the cosine between the gradient vectors; checks dtypes and finiteness.
Gap compare(nn::Module& m, const Tensor& x, const Tensor& y, bool train) {
  Step f32 = run_step(m, x, y, train, false), bf = run_step(m, x, y, train, true);
  EXPECT_EQ(f32.logits.dtype(), kFloat32);
  EXPECT_EQ(bf.logits.dtype(), kBFloat16);  // the final Linear ran in bfloat16
  EXPECT_EQ(bf.loss.dtype(), kFloat32);
  EXPECT_TRUE(std::isfinite(bf.loss.item()));
  double dd = 0, ff = 0, bb = 0, fb = 0;
  for (const auto& [pname, g] : f32.grads) {
    const Tensor& gb = bf.grads.at(pname);
    EXPECT_TRUE(g.defined() && gb.defined()) << pname;
    if (!g.defined() || !gb.defined()) continue;
    EXPECT_EQ(gb.dtype(), kFloat32) << pname;
    // Plain loops over the values: thousands of tiny tensor ops would cost more than the step.
    const std::vector<float> a = g.to_vector<float>(), b = gb.to_vector<float>();
    bool finite = true;
    for (size_t i = 0; i < a.size(); ++i) {
      finite = finite && std::isfinite(b[i]);
      dd += (double(b[i]) - a[i]) * (double(b[i]) - a[i]);
      ff += double(a[i]) * a[i];
      bb += double(b[i]) * b[i];
      fb += double(a[i]) * b[i];
    }
    EXPECT_TRUE(finite) << pname;
  }
  return {rel_err(bf.logits, f32.logits), std::abs(bf.loss.item() - f32.loss.item()) / f32.loss.item(),
          std::sqrt(dd / ff), fb / std::sqrt(ff * bb)};
}

struct Gaps {
  Gap train, eval;
};

Gaps measure(const std::string& name, const models::ModelConfig& config, int64_t batch) {
  manual_seed(40);
  auto m = models::make_model(name, config);
  models::ModelConfig c = models::resolve_config(name, config);
  Tensor x = randn({batch, c.in_channels, c.image_size, c.image_size});
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < batch; ++i) labels.push_back((3 * i + 1) % c.num_classes);
  Tensor y = from_vector(labels, {batch});
  Gaps g{compare(*m, x, y, true), compare(*m, x, y, false)};
  for (const Tensor& p : m->parameters()) EXPECT_EQ(p.dtype(), kFloat32);
  for (const auto& [mode, v] : {std::pair{"train", g.train}, std::pair{"eval", g.eval}})
    std::printf("%s %s: bf16 vs fp32 relative error: logits %.4f, loss %.4f, gradients %.4f (cosine %.4f)\n",
                name.c_str(), mode, v.logits, v.loss, v.grads, v.cosine);
  return g;
}

}  // namespace

// Tolerances (bf16 keeps 8 significant bits, ~0.4% per rounding). Eval mode (BatchNorm with
// running statistics): logits within 3% and gradients within 15% relative, 25% for resnet34/50
// (2-norms over the batch / over all parameters; measured: logits < 0.8%, gradients 2-11%). Training mode: batch
// statistics over a fresh network's tiny batch subtract nearly equal numbers (x - mean in the
// forward, the mean and projection terms in the backward), which magnifies bf16 rounding;
// PyTorch 1.13's CPU autocast shows the same on the same networks (resnet20 gradients 35% off,
// cosine ~0.94; resnet50 at 16x16 logits 23% and gradients 127% off). So in training mode:
// loss within 1%, logits within 5% and gradient cosine > 0.9 for resnet20 and resnet18 (measured
// 0.95), and for the deeper resnet34/50 on 16x16 images only that the step runs, finite, float32.

TEST(ZooBf16, Resnet20CloseToFloat32) {
  Gaps g = measure("resnet20", {}, 8);
  EXPECT_LT(g.train.loss, 0.01);
  EXPECT_LT(g.train.logits, 0.05);
  EXPECT_GT(g.train.cosine, 0.9);
  EXPECT_LT(g.eval.logits, 0.03);
  EXPECT_LT(g.eval.grads, 0.15);
}

TEST(ZooBf16, Resnet18SmallStemCloseToFloat32) {
  Gaps g = measure("resnet18", {.num_classes = 10, .in_channels = 1, .image_size = 28}, 4);
  EXPECT_LT(g.train.loss, 0.01);
  EXPECT_LT(g.train.logits, 0.05);
  EXPECT_GT(g.train.cosine, 0.9);
  EXPECT_LT(g.eval.logits, 0.03);
  EXPECT_LT(g.eval.grads, 0.15);
}

TEST(ZooBf16, MlpAndLenetCloseToFloat32) {
  for (const std::string name : {"mlp", "lenet"}) {
    Gaps g = measure(name, {}, 8);
    for (const Gap& v : {g.train, g.eval}) {
      EXPECT_LT(v.loss, 0.01) << name;
      EXPECT_LT(v.logits, 0.03) << name;
      EXPECT_LT(v.grads, 0.1) << name;
    }
  }
}

TEST(ZooBf16, Resnet34And50Run) {
  for (const std::string name : {"resnet34", "resnet50"}) {
    Gaps g = measure(name, {.num_classes = 10, .in_channels = 3, .image_size = 16}, 2);
    EXPECT_LT(g.eval.logits, 0.03) << name;
    EXPECT_LT(g.eval.grads, 0.25) << name;  // 33 and 53 layers of bf16 backward (measured ~0.06-0.11)
  }
}
