// Model zoo tests: the exact PyTorch parameter/buffer names and shapes of "mlp" and "lenet",
// parameter counts, output shapes, unknown names, reproducible construction, a state_dict
// round trip into a fresh model (identical outputs), train vs eval behaviour, and gradients
// reaching every lenet parameter, and PyTorch's default init bounds on every Linear/Conv2d.
#include <cmath>

#include "harness/module_gradcheck.h"
#include "harness/op_harness.h"
#include "ember/models/text.h"
#include "models/zoo.h"

using namespace ember;
using namespace ember::test;

namespace {

using Layout = std::vector<std::pair<std::string, Shape>>;

Layout layout(const nn::NamedTensors& v) {
  Layout out;
  for (const auto& [n, t] : v) out.emplace_back(n, t.shape());
  return out;
}

}  // namespace

TEST(Zoo, Names) {
  EXPECT_EQ(models::model_names(), (std::vector<std::string>{"mlp", "lenet", "resnet20", "resnet18", "resnet34",
                                                              "resnet50", "charlstm", "gpt"}));
  EXPECT_EMBER_ERROR(models::make_model("resnet"), "unknown model 'resnet'", "mlp", "lenet");
  for (const auto& info : models::model_infos()) {
    EXPECT_EQ(info.language_model, models::is_text_model(info.name)) << info.name;
    if (info.language_model) EXPECT_NE(models::make_text_model(info.name), nullptr) << info.name;
    else EXPECT_NE(models::make_model(info.name), nullptr) << info.name;
  }
}

TEST(Zoo, MlpLayout) {
  auto m = models::make_model("mlp");
  EXPECT_EQ(layout(m->named_parameters()), (Layout{{"1.weight", {512, 784}},
                                                   {"1.bias", {512}},
                                                   {"3.weight", {512, 512}},
                                                   {"3.bias", {512}},
                                                   {"5.weight", {10, 512}},
                                                   {"5.bias", {10}}}));
  EXPECT_TRUE(m->named_buffers().empty());
  EXPECT_EQ(m->num_parameters(), 669706);
  EXPECT_EQ(m->forward(rand({3, 1, 28, 28})).shape(), (Shape{3, 10}));
  EXPECT_EQ(m->repr(),
            "Sequential(\n"
            "  (0): Flatten(start_dim=1, end_dim=-1)\n"
            "  (1): Linear(in_features=784, out_features=512, bias=True)\n"
            "  (2): ReLU()\n"
            "  (3): Linear(in_features=512, out_features=512, bias=True)\n"
            "  (4): ReLU()\n"
            "  (5): Linear(in_features=512, out_features=10, bias=True)\n"
            ")");
}

TEST(Zoo, LenetLayout) {
  auto m = models::make_model("lenet");
  EXPECT_EQ(layout(m->named_parameters()), (Layout{{"0.weight", {32, 1, 3, 3}},
                                                   {"0.bias", {32}},
                                                   {"1.weight", {32}},
                                                   {"1.bias", {32}},
                                                   {"4.weight", {64, 32, 3, 3}},
                                                   {"4.bias", {64}},
                                                   {"5.weight", {64}},
                                                   {"5.bias", {64}},
                                                   {"10.weight", {128, 3136}},
                                                   {"10.bias", {128}},
                                                   {"12.weight", {10, 128}},
                                                   {"12.bias", {10}}}));
  EXPECT_EQ(layout(m->named_buffers()), (Layout{{"1.running_mean", {32}},
                                                {"1.running_var", {32}},
                                                {"1.num_batches_tracked", {}},
                                                {"5.running_mean", {64}},
                                                {"5.running_var", {64}},
                                                {"5.num_batches_tracked", {}}}));
  // conv1 + bn1 + conv2 + bn2 + fc1 + fc2
  int64_t expect = (32 * 9 + 32) + 64 + (64 * 32 * 9 + 64) + 128 + (3136 * 128 + 128) + (128 * 10 + 10);
  EXPECT_EQ(expect, 421834);
  EXPECT_EQ(m->num_parameters(), expect);
  EXPECT_EQ(m->state_dict().size(), 18u);
  EXPECT_EQ(m->forward(rand({2, 1, 28, 28})).shape(), (Shape{2, 10}));
  EXPECT_EMBER_ERROR(m->forward(rand({2, 28, 28})), "Conv2d.forward");
  std::string r = m->repr();
  EXPECT_NE(r.find("  (0): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"), std::string::npos) << r;
  EXPECT_NE(r.find("  (9): Dropout(p=0.3, inplace=False)\n"), std::string::npos) << r;
  EXPECT_NE(r.find("  (12): Linear(in_features=128, out_features=10, bias=True)\n)"), std::string::npos) << r;
}

TEST(Zoo, ReproducibleConstruction) {
  for (const auto& name : models::model_names()) {
    auto build = [&] {
      return models::is_text_model(name) ? models::make_text_model(name)->state_dict() : models::make_model(name)->state_dict();
    };
    manual_seed(7);
    auto a = build();
    manual_seed(7);
    auto b = build();
    for (auto& [k, v] : a) EXPECT_ALLCLOSE(v, b.at(k), 0, 0) << name << " " << k;
  }
}

TEST(Zoo, StateDictRoundTripGivesIdenticalOutputs) {
  manual_seed(11);
  auto a = models::make_model("lenet");
  Tensor x = rand({4, 1, 28, 28});
  a->forward(x);  // move the running statistics away from their initial values
  a->eval();
  manual_seed(12);
  auto b = models::make_model("lenet");
  b->eval();
  Tensor ya = a->forward(x);
  EXPECT_FALSE(allclose(b->forward(x), ya, 1e-3, 1e-3));
  b->load_state_dict(a->state_dict());
  EXPECT_ALLCLOSE(b->forward(x), ya, 0, 0);
  EXPECT_EQ(b->state_dict().at("1.num_batches_tracked").item<int64_t>(), 1);
  // Loading lenet weights into mlp fails listing the problems.
  auto mlp = models::make_model("mlp");
  EXPECT_EMBER_ERROR(mlp->load_state_dict(a->state_dict()), "missing keys", "\"3.weight\"", "unexpected keys",
                     "\"0.weight\"", "size mismatch", "\"1.weight\"", "[32]", "[512,784]");
}

TEST(Zoo, TrainEvalChangesLenetOutputs) {
  manual_seed(13);
  auto m = models::make_model("lenet");
  Tensor x = rand({4, 1, 28, 28});
  m->eval();
  Tensor e1 = m->forward(x), e2 = m->forward(x);
  EXPECT_ALLCLOSE(e1, e2, 0, 0);  // eval is deterministic (no dropout, running stats)
  m->train();
  Tensor t1 = m->forward(x), t2 = m->forward(x);
  EXPECT_FALSE(allclose(t1, t2, 1e-6, 1e-6));  // fresh dropout masks
  EXPECT_FALSE(allclose(t1, e1, 1e-3, 1e-3));  // batch statistics differ from the initial running ones
  EXPECT_EQ(m->state_dict().at("5.num_batches_tracked").item<int64_t>(), 2);
}

TEST(Zoo, GradientsReachEveryLenetParameter) {
  manual_seed(14);
  auto m = models::make_model("lenet");
  Tensor x = rand({4, 1, 28, 28});
  Tensor y = from_vector(std::vector<int64_t>{0, 3, 7, 9}, {4});
  cross_entropy(m->forward(x), y).backward();
  EXPECT_TRUE(test::gradients_reach_every_parameter(*m));
  m->zero_grad();
  for (const Tensor& p : m->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Zoo, DefaultInitialisationBounds) {  // mlp and lenet keep PyTorch's module defaults
  manual_seed(15);
  for (const std::string name : {"mlp", "lenet"}) {
    auto m = models::make_model(name);
    int checked = 0;
    for (auto& [path, mod] : m->named_modules()) {
      if (mod->name() != "Linear" && mod->name() != "Conv2d") continue;
      const Tensor& w = mod->parameter("weight");
      double bound = 1.0 / std::sqrt(static_cast<double>(nn::init::calculate_fan_in_and_fan_out(w).first));
      for (const Tensor& t : {w, mod->parameter("bias")}) {
        EXPECT_LE(max(abs(t)).item(), bound) << name << " " << path;
      }
      // U(-b, b) has variance b^2/3 (loose for the small layers).
      double v = var(w.to(kFloat64)).item();
      EXPECT_NEAR(v, bound * bound / 3, 0.15 * bound * bound / 3) << name << " " << path;
      ++checked;
    }
    EXPECT_EQ(checked, name == "mlp" ? 3 : 4) << name;
  }
}
