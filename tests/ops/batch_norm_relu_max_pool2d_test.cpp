// Fused BN → ReLU → 2x2 max pool (batch_norm_relu_max_pool2d): values, running statistics and
// gradients against the three unfused ops for float32 and float64 over the row widths that take
// each kernel path (8- and 4-window vector blocks, the scalar path, odd sizes); a float64
// finite-difference gradcheck; NaNs stay visible; errors; autocast reading bfloat16 directly;
// and nn::Sequential running the block fused in training mode with the same results as its
// modules one by one.
#include <cmath>
#include <cstring>
#include <limits>

#include "backends/cpu/vec2x2.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

Tensor composite(const Tensor& x, const Tensor& rm, const Tensor& rv, const Tensor& w, const Tensor& b) {
  Pool2dParams p;
  p.kernel = {2, 2};
  p.stride = {2, 2};
  return max_pool2d(relu(batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5)), p);
}

struct Result {
  Tensor y, dx, dw, db, rm, rv;
};

/// Forward with fresh running stats, then backward of sum(y * gw).
Result run(bool fused, const Tensor& x0, const Tensor& w0, const Tensor& b0, const Tensor& gw) {
  Tensor x = x0.detach().clone().set_requires_grad(true);
  Tensor w = w0.detach().clone().set_requires_grad(true), b = b0.detach().clone().set_requires_grad(true);
  const int64_t C = x0.size(1);
  Tensor rm = zeros({C}), rv = ones({C});
  Tensor y = fused ? batch_norm_relu_max_pool2d(x, rm, rv, w, b) : composite(x, rm, rv, w, b);
  sum(mul(y, gw)).backward();
  return {y.detach(), x.grad(), w.grad(), b.grad(), rm, rv};
}

}  // namespace

TEST(BatchNormReluMaxPool2d, MatchesUnfusedOpsOnEveryRowPath) {
  // W 28 and 14 are LeNet's (14 and 7 windows a row); 18 → 9 windows (8-block + overlap);
  // 10 → 5 (4-blocks); 6 → 3 (scalar); 5 and 7 leave an odd last column; H 7 an odd last row.
  for (DType dt : {kFloat32, kFloat64})
    for (Shape s : {Shape{4, 3, 28, 28}, Shape{3, 2, 14, 14}, Shape{2, 3, 6, 18}, Shape{2, 2, 7, 10}, Shape{3, 2, 4, 6},
                    Shape{2, 3, 5, 7}, Shape{2, 2, 2, 5}}) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " " + shape_str(s));
      const int64_t C = s[1];
      Tensor x = uniform(s, -2, 2, 3).to(dt);
      Tensor w = T({1.5, -0.7, 0.9}, {3}).slice(0, 0, C).to(dt);  // a negative scale flips the window order
      Tensor b = T({0.2, 0.1, -0.3}, {3}).slice(0, 0, C).to(dt);
      Tensor gw = uniform({s[0], C, s[2] / 2, s[3] / 2}, 0.5, 1.5, 4).to(dt);
      Result f = run(true, x, w, b, gw), u = run(false, x, w, b, gw);
      const double tol = dt == kFloat32 ? 2e-5 : 1e-12;
      EXPECT_ALLCLOSE(f.y, u.y, tol, tol);
      EXPECT_ALLCLOSE(f.rm, u.rm, tol, tol);
      EXPECT_ALLCLOSE(f.rv, u.rv, tol, tol);
      EXPECT_ALLCLOSE(f.dx, u.dx, 10 * tol, 10 * tol);
      EXPECT_ALLCLOSE(f.dw, u.dw, 10 * tol, 10 * tol);
      EXPECT_ALLCLOSE(f.db, u.db, 10 * tol, 10 * tol);
    }
}

TEST(BatchNormReluMaxPool2d, WithoutAffineOrRunningStats) {
  Tensor x = uniform({2, 3, 6, 8}, -1, 1, 5).to(kFloat32).set_requires_grad(true);
  Tensor y = batch_norm_relu_max_pool2d(x, Tensor(), Tensor(), Tensor(), Tensor());
  EXPECT_ALLCLOSE(y, composite(x.detach(), Tensor(), Tensor(), Tensor(), Tensor()), 2e-5, 2e-5);
  sum(y).backward();
  Tensor xu = x.detach().clone().set_requires_grad(true);
  sum(composite(xu, Tensor(), Tensor(), Tensor(), Tensor())).backward();
  EXPECT_ALLCLOSE(x.grad(), xu.grad(), 1e-4, 1e-4);
}

TEST(BatchNormReluMaxPool2d, Gradcheck) {
  EXPECT_GRADCHECK([](auto& v) { return batch_norm_relu_max_pool2d(v[0], Tensor(), Tensor(), v[1], v[2]); },
                   {uniform({2, 2, 4, 6}, -1, 1, 6), uniform({2}, 0.5, 1.5, 7), uniform({2}, -0.2, 0.2, 8)});
  EXPECT_GRADCHECK([](auto& v) { return batch_norm_relu_max_pool2d(v[0], Tensor(), Tensor(), Tensor(), Tensor()); },
                   {uniform({3, 1, 5, 5}, -1, 1, 9)});
}

TEST(BatchNormReluMaxPool2d, NanStaysVisible) {
  Tensor x = uniform({2, 2, 4, 16}, -1, 1, 10).to(kFloat32);
  x.data_ptr<float>()[5] = std::nanf("");  // channel 0: its statistics, and so every output, are NaN
  Tensor y = batch_norm_relu_max_pool2d(x, Tensor(), Tensor(), Tensor(), Tensor());
  EXPECT_EQ(sum(isfinite(y.select(1, 0))).item(), 0.0);
  EXPECT_EQ(sum(isfinite(y.select(1, 1))).item(), static_cast<double>(y.select(1, 1).numel()));
}

TEST(BatchNormReluMaxPool2d, Errors) {
  Tensor w = ones({3});
  EXPECT_EMBER_ERROR(batch_norm_relu_max_pool2d(zeros({2, 3, 8}), Tensor(), Tensor(), w, Tensor()), "(N,C,H,W)");
  EXPECT_EMBER_ERROR(batch_norm_relu_max_pool2d(zeros({2, 3, 1, 8}), Tensor(), Tensor(), w, Tensor()), "H, W >= 2");
  EXPECT_EMBER_ERROR(batch_norm_relu_max_pool2d(zeros({2, 4, 4, 4}), Tensor(), Tensor(), w, Tensor()), "weight",
                     "[3]");
  EXPECT_EMBER_ERROR(batch_norm_relu_max_pool2d(zeros({2, 3, 4, 4}), zeros({3}), Tensor(), w, Tensor()),
                     "both be given");
  EXPECT_EMBER_ERROR(batch_norm_relu_max_pool2d(zeros({2, 3, 4, 4}, kInt64), Tensor(), Tensor(),
                                                Tensor(), Tensor()),
                     "floating");
}

TEST(BatchNormReluMaxPool2d, SequentialRunsTheBlockFusedWithTheSameResults) {
  using namespace ember::nn;
  manual_seed(3);
  auto make = [] {
    manual_seed(11);
    return std::make_shared<Sequential>(std::make_shared<Conv2d>(Conv2dOptions(1, 4, 3).padding(1)),
                                        std::make_shared<BatchNorm2d>(4), std::make_shared<ReLU>(),
                                        std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
                                        std::make_shared<Linear>(4 * 5 * 7, 3));
  };
  auto seq = make(), ref = make();
  Tensor x = randn({3, 1, 10, 14});
  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "train" : "eval");
    seq->train(training), ref->train(training);
    seq->zero_grad(), ref->zero_grad();
    Tensor a = seq->forward(x);
    Tensor b = x;
    for (size_t i = 0; i < ref->size(); ++i) b = (*ref)[i]->forward(b);  // module by module: unfused
    EXPECT_ALLCLOSE(a, b, 1e-5, 1e-5);
    sum(a).backward(), sum(b).backward();
    auto pa = seq->named_parameters(), pb = ref->named_parameters();
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_ALLCLOSE(pa[i].second.grad(), pb[i].second.grad(), 1e-4, 1e-5) << pa[i].first;
    auto ba = seq->named_buffers(), bb = ref->named_buffers();
    for (size_t i = 0; i < ba.size(); ++i) EXPECT_ALLCLOSE(ba[i].second.to(kFloat64), bb[i].second.to(kFloat64), 1e-5, 1e-6) << ba[i].first;
  }
}

TEST(BatchNormReluMaxPool2d, AutocastReadsBfloat16Directly) {
  // Under autocast the fused kernel takes a bfloat16 map as it is: the same float32 result and
  // statistics as the float32 op on the same (exactly widened) values, the input gradient
  // rounded to bfloat16. Widths 28/14/10/6 take the 8- and 4-window blocks and the scalar path.
  for (Shape s : {Shape{4, 3, 28, 28}, Shape{3, 2, 7, 14}, Shape{2, 3, 6, 10}, Shape{2, 2, 5, 6}}) {
    SCOPED_TRACE(shape_str(s));
    const int64_t C = s[1];
    Tensor xb = uniform(s, -2, 2, 12).to(kBFloat16);
    Tensor w = T({1.5, -0.7, 0.9}, {3}).slice(0, 0, C).to(kFloat32);
    Tensor b = T({0.2, 0.1, -0.3}, {3}).slice(0, 0, C).to(kFloat32);
    Tensor gw = uniform({s[0], C, s[2] / 2, s[3] / 2}, 0.5, 1.5, 13).to(kFloat32);
    Tensor x = xb.detach().clone().set_requires_grad(true);
    Tensor wa = w.clone().set_requires_grad(true), ba = b.clone().set_requires_grad(true);
    Tensor rm = zeros({C}), rv = ones({C});
    Tensor y;
    {
      amp::AutocastGuard ac(kBFloat16);
      y = batch_norm_relu_max_pool2d(x, rm, rv, wa, ba);
    }
    EXPECT_EQ(y.dtype(), kFloat32);
    sum(mul(y, gw)).backward();
    EXPECT_EQ(x.grad().dtype(), kBFloat16);
    Result f32 = run(true, xb.to(kFloat32), w, b, gw);
    EXPECT_ALLCLOSE(y.detach(), f32.y, 1e-5, 1e-5);
    EXPECT_ALLCLOSE(rm, f32.rm, 1e-5, 1e-6);
    EXPECT_ALLCLOSE(rv, f32.rv, 1e-5, 1e-6);
    EXPECT_ALLCLOSE(x.grad().to(kFloat32), f32.dx, 8e-3, 1e-6);  // within bfloat16 rounding
    EXPECT_ALLCLOSE(wa.grad(), f32.dw, 1e-4, 1e-5);
    EXPECT_ALLCLOSE(ba.grad(), f32.db, 1e-4, 1e-5);
  }
}

TEST(BatchNormReluMaxPool2d, VectorBfloat16ConversionsMatchScalar) {
  // vec::narrow must round like BFloat16(float): to nearest, ties to even, NaN kept quiet.
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.5f, 3.14159f, 1e-30f, -1e30f, inf, -inf, nan, 65504.0f};
  for (uint32_t bits : {0x3f808000u, 0x3f818000u, 0x3f807fffu, 0x3f80ffffu, 0x7f7fffffu, 0x00018000u}) {
    float f;
    std::memcpy(&f, &bits, 4);
    v.push_back(f);  // exact ties (even and odd), just below and above, overflow to inf, a denormal
  }
  while (v.size() % 8) v.push_back(0.5f);
  for (size_t i = 0; i < v.size(); i += 8) {
    using V = cpu::vec::Lanes<8>;
    const V::H h = cpu::vec::narrow<8>(cpu::vec::load<V::F>(&v[i]));
    const V::F back = cpu::vec::widen<8>(h);
    for (int j = 0; j < 8; ++j) {
      const BFloat16 ref(v[i + j]);
      EXPECT_EQ(h[j], ref.bits) << v[i + j];
      const float r = static_cast<float>(ref);
      EXPECT_TRUE(back[j] == r || (std::isnan(back[j]) && std::isnan(r))) << v[i + j];
    }
  }
}
