// ResNet against torchvision: ember's resnet18/34/50 have torchvision's state_dict names, order,
// dtypes and shapes at their default config; and torchvision's weights (formula-generated, see
// tests/models/fixtures/make_resnet_fixtures.py), saved as safetensors and loaded strictly, give
// torchvision's eval logits for resnet18/34/50 (default stem, 10 classes, 2x3x64x64),
// resnet18 with the small-image stem on 2x1x28x28 and resnet20 on 2x1x28x28.
#include <cstdio>

#include "../io/temp_dir.h"
#include "harness/op_harness.h"
#include "models/resnet_fixture.h"
#include "models/zoo.h"

using namespace ember;
using namespace ember::test;
namespace fx = ember::test::resnet_fixture;

namespace {

/// (name, shape) of the entries of a torchvision layout that are parameters (or buffers).
std::vector<std::pair<std::string, Shape>> torchvision_part(const std::vector<fx::Entry>& layout, bool parameters) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& e : layout)
    if (e.parameter == parameters) out.emplace_back(e.name, e.shape);
  return out;
}

std::vector<std::pair<std::string, Shape>> ember_part(const nn::NamedTensors& v) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& [n, t] : v) out.emplace_back(n, t.shape());
  return out;
}

/// Expects m's parameters and buffers, each in order, and its state_dict's names, shapes and
/// dtypes, to be torchvision's `layout`.
void expect_layout(const nn::Module& m, const std::vector<fx::Entry>& layout, const std::string& what) {
  EXPECT_EQ(ember_part(m.named_parameters()), torchvision_part(layout, true)) << what;
  EXPECT_EQ(ember_part(m.named_buffers()), torchvision_part(layout, false)) << what;
  auto sd = m.state_dict();
  EXPECT_EQ(sd.size(), layout.size()) << what;
  for (const auto& e : layout) {
    auto it = sd.find(e.name);
    ASSERT_NE(it, sd.end()) << what << ": ember lacks " << e.name;
    EXPECT_EQ(it->second.shape(), e.shape) << what << " " << e.name;
    EXPECT_EQ(it->second.dtype(), e.dtype) << what << " " << e.name;
  }
}

}  // namespace

TEST(ResNetTorchvision, DefaultLayoutsAreTorchvisions) {
  for (const std::string name : {"resnet18", "resnet34", "resnet50"}) {
    std::vector<fx::Entry> layout = fx::default_layout(name);
    ASSERT_GT(layout.size(), 100u) << name;
    EXPECT_EQ(layout.front().name, "conv1.weight");
    EXPECT_EQ(layout.back().name, "fc.bias");
    EXPECT_EQ(layout.back().shape, (Shape{1000}));
    expect_layout(*models::make_model(name), layout, name);
  }
}

TEST(ResNetTorchvision, FormulaIsDeterministicAndScaled) {
  // The generator's formula (the fixtures prove C++ and Python agree bit for bit); here its
  // ranges: conv weights within 1.7315/2^e, BN scales in [0.75, 1.25], shifts in [-1/8, 1/8].
  Tensor w = fx::formula_tensor(3, "layer1.0.conv1.weight", {64, 64, 3, 3});  // fan_in 576: e = 5
  EXPECT_ALLCLOSE(w, fx::formula_tensor(3, "layer1.0.conv1.weight", {64, 64, 3, 3}), 0, 0);
  EXPECT_FALSE(allclose(w, fx::formula_tensor(4, "layer1.0.conv1.weight", {64, 64, 3, 3}), 0.1, 0.1));
  EXPECT_LE(max(abs(w)).item(), 1773.0 / 1024 / 32);
  EXPECT_NEAR(var(w.to(kFloat64)).item(), 1.0 / 1024, 0.05 / 1024);
  Tensor s = fx::formula_tensor(0, "bn1.running_var", {4096});
  EXPECT_GE(min(s).item(), 0.75);
  EXPECT_LE(max(s).item(), 1.25);
  Tensor b = fx::formula_tensor(0, "fc.bias", {4096});
  EXPECT_LE(max(abs(b)).item(), 0.125);
  EXPECT_GT(max(abs(b)).item(), 0.12);
  EXPECT_EQ(fx::formula_tensor(9, "bn1.num_batches_tracked", {}).dtype(), kInt64);
  EXPECT_EMBER_ERROR(fx::formula_tensor(0, "bn1.mystery", {3}), "no formula", "bn1.mystery");
}

class SameLogitsAsTorchvision : public ::testing::TestWithParam<std::string> {};

TEST_P(SameLogitsAsTorchvision, StrictLoadEvalForward) {
  const fx::Fixture f = fx::load(GetParam());
  auto model = models::make_model(f.ember_model, {f.num_classes, f.in_channels, f.image_size});
  expect_layout(*model, f.state_dict, GetParam());

  // torchvision's weights: the formula's tensors, written by ember's writer, must be the very
  // file the generator loaded into torchvision (same size, same FNV-1a hash).
  std::map<std::string, Tensor> weights;
  for (size_t t = 0; t < f.state_dict.size(); ++t) {
    const fx::Entry& e = f.state_dict[t];
    weights[e.name] = fx::formula_tensor(t, e.name, e.shape);
  }
  TempDir dir;
  const std::string path = dir.file(GetParam() + ".safetensors");
  io::save_safetensors(path, weights);
  weights.clear();
  const std::string bytes = read_bytes(path);
  ASSERT_EQ(bytes.size(), f.file_bytes);
  ASSERT_EQ(fx::fnv1a64(bytes.data(), bytes.size()), f.file_fnv1a64) << "the C++ formula differs from the script's";

  io::SafetensorsFile file = io::load_safetensors(path);
  model->load_state_dict(file.tensors, /*strict=*/true);
  auto sd = model->state_dict();
  for (const auto& [name, t] : file.tensors) EXPECT_ALLCLOSE(sd.at(name), t, 0, 0) << name;

  Tensor x = fx::formula_input(f.input_shape);
  ASSERT_EQ(fx::fnv1a64(x.raw_data(), static_cast<size_t>(x.numel()) * 4), f.input_fnv1a64);
  model->eval();
  Tensor logits;
  {
    NoGradGuard ng;
    logits = model->forward(x);
  }
  std::vector<double> flat;
  for (const auto& row : f.logits) flat.insert(flat.end(), row.begin(), row.end());
  Tensor expect = from_vector(flat, {static_cast<int64_t>(f.logits.size()), f.num_classes}).to(kFloat32);
  ASSERT_EQ(logits.dtype(), kFloat32);
  // Tolerance: 1e-4 relative to the logits' scale (max |logit| ~0.3-0.9), plus 1e-4 of each.
  const double scale = max(abs(expect)).item();
  ASSERT_GT(scale, 0.1);
  EXPECT_ALLCLOSE(logits, expect, 1e-4, 1e-4 * scale);
  std::printf("%s: max |logit - torchvision's| = %.3g (max |logit| %.3f)\n", GetParam().c_str(),
              max(abs(sub(logits, expect))).item(), scale);
  // The two images differ in their logits by far more than the tolerance: the check sees the input.
  EXPECT_GT(max(abs(sub(expect.select(0, 0), expect.select(0, 1)))).item(), 100 * 1e-4 * scale);
  // A strict load of a file that lacks a key or has a wrong shape is refused, naming it.
  file.tensors.erase("fc.bias");
  EXPECT_EMBER_ERROR(model->load_state_dict(file.tensors, true), "missing keys", "fc.bias");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SameLogitsAsTorchvision,
                         ::testing::Values("resnet18", "resnet34", "resnet50", "resnet18_small_stem", "resnet20"));
