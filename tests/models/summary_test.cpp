// nn::summarize on the zoo's ResNets: forward FLOPs equal a count worked out from the
// architecture in this file (conv/BN/pool/fc layer by layer, independent of summary.cpp), and
// match the published figures (resnet18 1.82 GMACs = 3.64 GFLOPs, resnet50 4.09 GMACs = 8.2
// GFLOPs at 1x3x224x224, within 1%); resnet20's count is written out by hand; dotted names,
// depths and output shapes agree with the model and its forward.
#include <cmath>

#include "harness/op_harness.h"
#include "models/zoo.h"

using namespace ember;
using namespace ember::test;

namespace {

/// Layer-by-layer counts of a torchvision-style ResNet, from the architecture description.
struct ArchCount {
  int64_t conv_macs = 0, bn_elems = 0, pool_reads = 0, fc_macs = 0, fc_bias = 0;
  int64_t flops() const { return 2 * (conv_macs + fc_macs) + fc_bias + 4 * bn_elems + pool_reads; }
};

/// A conv (k x k, no bias) producing cout x hw x hw, followed by its BatchNorm.
void conv_bn(ArchCount& c, int64_t cin, int64_t cout, int64_t k, int64_t hw) {
  c.conv_macs += hw * hw * cout * cin * k * k;
  c.bn_elems += hw * hw * cout;
}

ArchCount count_resnet(bool bottleneck, const std::vector<int64_t>& layers, const std::vector<int64_t>& widths,
                       int64_t stem, int64_t in_channels, int64_t size, bool small_stem, int64_t classes) {
  ArchCount c;
  int64_t hw = size;
  if (small_stem) {
    conv_bn(c, in_channels, stem, 3, hw);  // 3x3 stride 1 pad 1
  } else {
    hw = (hw + 2 * 3 - 7) / 2 + 1;  // 7x7 stride 2 pad 3
    conv_bn(c, in_channels, stem, 7, hw);
    c.pool_reads += stem * hw * hw;  // 3x3 stride 2 pad 1 max pool
    hw = (hw + 2 - 3) / 2 + 1;
  }
  int64_t in = stem;
  for (size_t s = 0; s < layers.size(); ++s) {
    for (int64_t b = 0; b < layers[s]; ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1, w = widths[s];
      const int64_t out_hw = (hw - 1) / stride + 1;
      const int64_t out = bottleneck ? 4 * w : w;
      if (bottleneck) {
        conv_bn(c, in, w, 1, hw);
        conv_bn(c, w, w, 3, out_hw);
        conv_bn(c, w, out, 1, out_hw);
      } else {
        conv_bn(c, in, w, 3, out_hw);
        conv_bn(c, w, w, 3, out_hw);
      }
      if (stride != 1 || in != out) conv_bn(c, in, out, 1, out_hw);  // downsample
      in = out;
      hw = out_hw;
    }
  }
  c.pool_reads += in * hw * hw;  // global average pool
  c.fc_macs = in * classes;
  c.fc_bias = classes;
  return c;
}

/// Summed FLOPs of the rows of one layer type.
int64_t flops_of(const nn::Summary& s, const std::string& type) {
  int64_t f = 0;
  for (const auto& r : s.rows)
    if (r.type == type) f += r.flops;
  return f;
}

/// The model's FLOPs without its ReLU modules' calls: ResNet's blocks call their `relu` module
/// (rows of one FLOP per element, checked here); the architecture count above leaves them out.
int64_t flops_without_relu_modules(const nn::Summary& s) {
  int64_t relu = 0;
  for (const auto& r : s.rows)
    if (r.type == "ReLU") {
      EXPECT_EQ(r.flops, shape_numel(r.input_shape));
      relu += r.flops;
    }
  EXPECT_GT(relu, 0) << "no ReLU rows: the blocks no longer call their relu module";
  return s.flops - relu;
}

}  // namespace

TEST(ModelSummary, ResNet18At224MatchesTheArchitectureAndThePublishedFigure) {
  auto m = models::make_model("resnet18");
  const nn::Summary s = nn::summarize(*m, {1, 3, 224, 224});
  const ArchCount want = count_resnet(false, {2, 2, 2, 2}, {64, 128, 256, 512}, 64, 3, 224, false, 1000);
  EXPECT_EQ(flops_without_relu_modules(s), want.flops());
  EXPECT_EQ(flops_of(s, "Conv2d"), 2 * want.conv_macs);
  EXPECT_EQ(flops_of(s, "BatchNorm2d"), 4 * want.bn_elems);
  EXPECT_EQ(flops_of(s, "Linear"), 2 * want.fc_macs + want.fc_bias);
  EXPECT_EQ(s.unknown_flop_calls, 0);
  // torchvision's table: 1.81-1.82 GMACs, i.e. 3.64 GFLOPs.
  EXPECT_NEAR(static_cast<double>(s.flops) / 3.64e9, 1.0, 0.01) << s.flops;
  EXPECT_NEAR(static_cast<double>(want.conv_macs + want.fc_macs) / 1.82e9, 1.0, 0.01);
  EXPECT_EQ(s.params, 11689512);  // torchvision's resnet18
  EXPECT_EQ(s.output_shape, (Shape{1, 1000}));
  EXPECT_EQ(s.param_bytes, 4 * s.params);
  // One row per call with named_modules' dotted names and the nesting as depth.
  bool found = false;
  for (const auto& r : s.rows)
    if (r.name == "layer1.0.conv1") {
      found = true;
      EXPECT_EQ(r.type, "Conv2d");
      EXPECT_EQ(r.depth, 3);
      EXPECT_EQ(r.output_shape, (Shape{1, 64, 56, 56}));
      EXPECT_EQ(r.params, 64 * 64 * 9);
      EXPECT_EQ(r.flops, 2 * 56 * 56 * 64 * 64 * 9);
    }
  EXPECT_TRUE(found);
  EXPECT_EQ(s.rows[0].name, "");
  EXPECT_EQ(s.rows[0].type, "ResNet");
  EXPECT_EQ(s.rows[0].flops, s.flops);
}

TEST(ModelSummary, ResNet50At224MatchesTheArchitectureAndThePublishedFigure) {
  auto m = models::make_model("resnet50");
  const nn::Summary s = nn::summarize(*m, {1, 3, 224, 224});
  const ArchCount want = count_resnet(true, {3, 4, 6, 3}, {64, 128, 256, 512}, 64, 3, 224, false, 1000);
  EXPECT_EQ(flops_without_relu_modules(s), want.flops());
  EXPECT_EQ(flops_of(s, "Conv2d"), 2 * want.conv_macs);
  // torchvision's table: 4.09 GMACs, i.e. 8.2 GFLOPs.
  EXPECT_NEAR(static_cast<double>(want.conv_macs + want.fc_macs) / 4.09e9, 1.0, 0.01);
  EXPECT_NEAR(static_cast<double>(s.flops) / 8.2e9, 1.0, 0.01) << s.flops;
  EXPECT_EQ(s.params, 25557032);  // torchvision's resnet50
  EXPECT_EQ(s.non_trainable_params, 0);
}

TEST(ModelSummary, ResNet20At32ByHand) {
  auto m = models::make_model("resnet20", {.num_classes = 10, .in_channels = 3, .image_size = 32});
  const nn::Summary s = nn::summarize(*m, {1, 3, 32, 32});
  // Multiply-accumulates, layer by layer (output pixels x out channels x in channels x 3 x 3):
  const int64_t stem = 32 * 32 * 16 * 3 * 9;                               //    442,368
  const int64_t stage1 = 6 * (32 * 32 * 16 * 16 * 9);                       // 14,155,776
  const int64_t stage2 = 16 * 16 * 32 * 16 * 9 + 5 * (16 * 16 * 32 * 32 * 9)  // 12,976,128
                         + 16 * 16 * 32 * 16;                               // + 1x1 shortcut 131,072
  const int64_t stage3 = 8 * 8 * 64 * 32 * 9 + 5 * (8 * 8 * 64 * 64 * 9)      // 12,976,128
                         + 8 * 8 * 64 * 32;                                 // + 1x1 shortcut 131,072
  const int64_t fc = 64 * 10;
  const int64_t macs = stem + stage1 + stage2 + stage3 + fc;
  EXPECT_EQ(macs, 40813184);  // 40.8M (40.55M with He et al.'s parameter-free shortcuts)
  // BatchNorm after each conv: 16x32x32 x 7 (stem + stage 1), 32x16x16 x 7, 64x8x8 x 7.
  const int64_t bn_elems = 7 * 16384 + 7 * 8192 + 7 * 4096;
  const int64_t avgpool = 64 * 8 * 8;
  EXPECT_EQ(flops_of(s, "Conv2d") + flops_of(s, "Linear") - 10, 2 * macs);
  EXPECT_EQ(flops_of(s, "BatchNorm2d"), 4 * bn_elems);
  EXPECT_EQ(flops_without_relu_modules(s), 2 * macs + 10 + 4 * bn_elems + avgpool);
  // 81.6M FLOPs in the convs and fc, 0.8M in the BatchNorms, 4K in the pool: 82.4M in all.
  // The layer-by-layer counter used for resnet18/50 agrees with the hand count.
  EXPECT_EQ(count_resnet(false, {3, 3, 3}, {16, 32, 64}, 16, 3, 32, true, 10).flops(),
            2 * macs + 10 + 4 * bn_elems + avgpool);
}

TEST(ModelSummary, OutputShapesAreThoseOfTheLayers) {
  auto m = models::make_model("resnet18", {.num_classes = 10, .in_channels = 1, .image_size = 28});
  const nn::Summary s = nn::summarize(*m, {2, 1, 28, 28});
  m->eval();
  EXPECT_EQ(s.output_shape, (*m)(zeros({2, 1, 28, 28})).shape());
  std::map<std::string, nn::ModulePtr> by_name;
  for (auto& [n, mod] : m->named_modules()) by_name[n] = mod;
  int checked = 0;
  for (const auto& r : s.rows) {
    if (!r.innermost) continue;
    ASSERT_TRUE(by_name.count(r.name)) << r.name;
    EXPECT_EQ((*by_name[r.name])(zeros(r.input_shape)).shape(), r.output_shape) << r.name;
    EXPECT_EQ(r.depth, std::count(r.name.begin(), r.name.end(), '.') + 1) << r.name;
    ++checked;
  }
  EXPECT_GT(checked, 40);  // 20 convs, 20 BNs, the pool and fc at least
}
