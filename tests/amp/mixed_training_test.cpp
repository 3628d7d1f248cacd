// Mixed-precision training end to end: a small MLP on a synthetic, linearly separable
// 4-class problem trained in float32, under bfloat16 autocast and under float16 autocast with
// loss scaling; the low-precision runs must converge about as well as float32.
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

struct Data {
  Tensor x, y;
};

/// 256 points in 16-D around four class centres, noisy enough that the classes overlap a little.
Data make_data() {
  manual_seed(11);
  Tensor centres = mul(randn({4, 16}), 0.6);
  std::vector<int64_t> labels(256);
  for (int64_t i = 0; i < 256; ++i) labels[i] = i % 4;
  Tensor y = from_vector(labels, {256});
  Tensor x = add(index_select(centres, 0, y), mul(randn({256, 16}), 1.0));
  return {x, y};
}

struct Result {
  double first_loss, last_loss, accuracy;
  int64_t skipped;
};

Result train(DType precision, const Data& d) {
  manual_seed(5);
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Linear>(16, 32));
  model->push_back(std::make_shared<nn::ReLU>());
  model->push_back(std::make_shared<nn::Linear>(32, 4));
  optim::Adam opt(model->parameters(), optim::AdamOptions(1e-2));
  amp::GradScalerOptions so;
  so.enabled = precision == kFloat16;
  so.growth_interval = 10;
  amp::GradScaler scaler(so);
  Result r{0, 0, 0, 0};
  for (int step = 0; step < 40; ++step) {
    Tensor xb = d.x.slice(0, (step % 4) * 64, (step % 4 + 1) * 64), yb = d.y.slice(0, (step % 4) * 64, (step % 4 + 1) * 64);
    Tensor loss;
    {
      amp::AutocastGuard ac(precision == kFloat32 ? kBFloat16 : precision, precision != kFloat32);
      loss = cross_entropy((*model)(xb), yb);
    }
    EXPECT_EQ(loss.dtype(), kFloat32);
    opt.zero_grad();
    scaler.scale(loss).backward();
    scaler.step(opt);
    if (step == 0) r.first_loss = loss.item();
    r.last_loss = loss.item();
  }
  NoGradGuard ng;
  Tensor pred = argmax((*model)(d.x), 1);
  r.accuracy = sum(eq(pred, d.y)).item() / 256.0;
  r.skipped = scaler.skipped_steps();
  for (const Tensor& p : model->parameters()) EXPECT_EQ(p.dtype(), kFloat32);
  return r;
}

}  // namespace

TEST(MixedTraining, LowPrecisionConvergesLikeFloat32) {
  Data d = make_data();
  Result f32 = train(kFloat32, d), bf16 = train(kBFloat16, d), fp16 = train(kFloat16, d);
  EXPECT_GT(f32.accuracy, 0.9);
  for (const Result& r : {bf16, fp16}) {
    EXPECT_LT(r.last_loss, 0.25 * r.first_loss);
    EXPECT_LT(r.last_loss, f32.last_loss + 0.1);
    EXPECT_GE(r.accuracy, f32.accuracy - 0.03);
  }
  EXPECT_EQ(bf16.skipped, 0);
  EXPECT_LE(fp16.skipped, 5);  // at most a few overflows while the scale settles
  std::printf("loss first/last, accuracy: fp32 %.4f/%.4f %.4f, bf16 %.4f/%.4f %.4f, fp16 %.4f/%.4f %.4f (%lld skipped)\n",
              f32.first_loss, f32.last_loss, f32.accuracy, bf16.first_loss, bf16.last_loss, bf16.accuracy,
              fp16.first_loss, fp16.last_loss, fp16.accuracy, static_cast<long long>(fp16.skipped));
}
