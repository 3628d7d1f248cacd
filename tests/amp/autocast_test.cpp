// Autocast tests: the guard's thread-local, nestable state; which dtype each op returns inside
// it (matmul/linear/conv2d low, softmax/losses/norms float32, the rest promoted as usual);
// low-precision matmul/linear/conv2d against float32 within stated tolerances; gradients
// flowing back through the casts to float32 leaves; and the device support query.
#include <thread>

#include "harness/op_harness.h"
#include "models/zoo.h"

using namespace ember;
using namespace ember::test;

namespace {

Tensor rnd(const Shape& s, uint64_t seed) { return uniform(s, -1.0, 1.0, seed).to(kFloat32); }

/// Max |a-b| / max |b| (a relative error of the whole result, robust to values near zero).
double rel_err(const Tensor& a, const Tensor& b) {
  Tensor af = a.to(kFloat64), bf = b.to(kFloat64);
  return max(abs(sub(af, bf))).item() / std::max(1e-12, max(abs(bf)).item());
}

}  // namespace

TEST(Autocast, GuardIsNestableAndRestores) {
  EXPECT_FALSE(amp::autocast_enabled());
  {
    amp::AutocastGuard a(kBFloat16);
    EXPECT_TRUE(amp::autocast_enabled());
    EXPECT_EQ(amp::autocast_dtype(), kBFloat16);
    {
      amp::AutocastGuard b(kFloat16);
      EXPECT_EQ(amp::autocast_dtype(), kFloat16);
      {
        amp::AutocastGuard off(kFloat16, false);
        EXPECT_FALSE(amp::autocast_enabled());
        EXPECT_EQ(matmul(rnd({2, 3}, 1), rnd({3, 2}, 2)).dtype(), kFloat32);
      }
      EXPECT_TRUE(amp::autocast_enabled());
    }
    EXPECT_EQ(amp::autocast_dtype(), kBFloat16);
  }
  EXPECT_FALSE(amp::autocast_enabled());
}

TEST(Autocast, StateIsPerThread) {
  amp::AutocastGuard a(kBFloat16);
  bool other = true;
  std::thread t([&] { other = amp::autocast_enabled(); });
  t.join();
  EXPECT_FALSE(other);
  EXPECT_TRUE(amp::autocast_enabled());
}

TEST(Autocast, RejectsNonLowDtypes) {
  EXPECT_EMBER_ERROR(amp::AutocastGuard(kFloat32), "AutocastGuard", "float32");
  EXPECT_EMBER_ERROR(amp::AutocastGuard(kInt64), "AutocastGuard", "int64");
  EXPECT_FALSE(amp::autocast_enabled());
}

TEST(Autocast, OutputDtypes) {
  for (DType low : {kBFloat16, kFloat16}) {
    amp::AutocastGuard g(low);
    Tensor a = rnd({4, 8}, 1), b = rnd({8, 5}, 2), w = rnd({5, 8}, 3), bias = rnd({5}, 4);
    EXPECT_EQ(matmul(a, b).dtype(), low);
    EXPECT_EQ(linear(a, w, bias).dtype(), low);
    EXPECT_EQ(conv2d(rnd({2, 3, 6, 6}, 5), rnd({4, 3, 3, 3}, 6), rnd({4}, 7)).dtype(), low);
    Tensor logits = matmul(a, b);  // low
    EXPECT_EQ(softmax(logits, 1).dtype(), kFloat32);
    EXPECT_EQ(log_softmax(logits, 1).dtype(), kFloat32);
    Tensor y = from_vector(std::vector<int64_t>{0, 1, 2, 3}, {4});
    EXPECT_EQ(cross_entropy(logits, y).dtype(), kFloat32);
    EXPECT_EQ(nll_loss(logits, y).dtype(), kFloat32);
    EXPECT_EQ(mse_loss(logits, zeros({4, 5})).dtype(), kFloat32);
    EXPECT_EQ(binary_cross_entropy_with_logits(logits, zeros({4, 5})).dtype(), kFloat32);
    EXPECT_EQ(layer_norm(logits, {5}).dtype(), kFloat32);
    Tensor rm = zeros({5}), rv = ones({5});
    EXPECT_EQ(batch_norm(logits, rm, rv, ones({5}), zeros({5}), true).dtype(), kFloat32);
    EXPECT_EQ(rm.dtype(), kFloat32);  // running stats stay the caller's tensors...
    EXPECT_GT(max(abs(rm)).item(), 0.0);  // ...and are updated in place
    // Outside the lists: the input's dtype, mixed operands promote as usual.
    EXPECT_EQ(relu(logits).dtype(), low);
    EXPECT_EQ(add(logits, rnd({4, 5}, 8)).dtype(), kFloat32);
    EXPECT_EQ(sum(logits).dtype(), low);
  }
}

TEST(Autocast, Float64AndIntegersAreNotCast) {
  amp::AutocastGuard g(kBFloat16);
  Tensor a = uniform({3, 4}), b = uniform({4, 2});
  EXPECT_EQ(matmul(a, b).dtype(), kFloat64);
  EXPECT_EMBER_ERROR(matmul(a, rnd({4, 2}, 1)), "matmul", "differ");  // float64 with a cast bfloat16
  EXPECT_EMBER_ERROR(matmul(arange(4).reshape({2, 2}), rnd({2, 2}, 1)), "matmul", "integer");
}

TEST(Autocast, Bf16MatchesFloat32WithinTolerance) {
  // bfloat16 keeps 8 significant bits: inputs round with relative error <= 2^-9 and oneDNN
  // accumulates in float32, so results are within ~1e-2 of float32 relative to their scale.
  Tensor a = rnd({33, 70}, 1), b = rnd({70, 45}, 2), w = rnd({45, 70}, 3), bias = rnd({45}, 4);
  Tensor x = rnd({2, 3, 9, 9}, 5), k = rnd({6, 3, 3, 3}, 6), kb = rnd({6}, 7);
  Tensor mm, lin, cv;
  {
    amp::AutocastGuard g(kBFloat16);
    mm = matmul(a, b), lin = linear(a, w, bias), cv = conv2d(x, k, kb, Conv2dParams{{1, 1}, {1, 1}, {1, 1}, 1});
  }
  EXPECT_LT(rel_err(mm, matmul(a, b)), 1e-2);
  EXPECT_LT(rel_err(lin, linear(a, w, bias)), 1e-2);
  EXPECT_LT(rel_err(cv, conv2d(x, k, kb, Conv2dParams{{1, 1}, {1, 1}, {1, 1}, 1})), 1e-2);
  EXPECT_GT(rel_err(mm, matmul(a, b)), 0.0);  // it really ran in bfloat16
}

TEST(Autocast, Fp16MatchesFloat32WithinTolerance) {
  // float16 keeps 11 significant bits (2^-12 rounding): within ~2e-3 relative to scale.
  Tensor a = rnd({17, 40}, 1), b = rnd({40, 9}, 2), x = rnd({2, 2, 7, 7}, 3), k = rnd({3, 2, 3, 3}, 4);
  Tensor mm, cv;
  {
    amp::AutocastGuard g(kFloat16);
    mm = matmul(a, b), cv = conv2d(x, k);
  }
  EXPECT_LT(rel_err(mm, matmul(a, b)), 2e-3);
  EXPECT_LT(rel_err(cv, conv2d(x, k)), 2e-3);
}

TEST(Autocast, GradientsReachFloat32Leaves) {
  Tensor x = rnd({8, 6}, 1), w = rnd({4, 6}, 2).set_requires_grad(), b = rnd({4}, 3).set_requires_grad();
  Tensor y = from_vector(std::vector<int64_t>{0, 1, 2, 3, 0, 1, 2, 3}, {8});
  Tensor loss;
  {
    amp::AutocastGuard g(kBFloat16);
    loss = cross_entropy(linear(x, w, b), y);
  }
  EXPECT_EQ(loss.dtype(), kFloat32);
  loss.backward();
  ASSERT_TRUE(w.grad().defined() && b.grad().defined());
  EXPECT_EQ(w.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().dtype(), kFloat32);
  // Against the float32 gradient: bfloat16 forward and backward, so a loose tolerance.
  Tensor w2 = w.detach().clone().set_requires_grad(), b2 = b.detach().clone().set_requires_grad();
  cross_entropy(linear(x, w2, b2), y).backward();
  EXPECT_LT(rel_err(w.grad(), w2.grad()), 3e-2);
  EXPECT_LT(rel_err(b.grad(), b2.grad()), 3e-2);
}

TEST(Autocast, ParametersGradsAndOptimizerStateStayFloat32) {
  manual_seed(3);
  auto model = models::make_model("lenet");
  model->train();
  optim::AdamW opt(model->parameters(), optim::AdamWOptions(1e-3));
  Tensor x = randn({4, 1, 28, 28}), y = from_vector(std::vector<int64_t>{1, 2, 3, 4}, {4});
  Tensor loss;
  {
    amp::AutocastGuard g(kBFloat16);
    loss = cross_entropy((*model)(x), y);
  }
  opt.zero_grad();
  loss.backward();
  opt.step();
  for (const Tensor& p : model->parameters()) {
    EXPECT_EQ(p.dtype(), kFloat32);
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().dtype(), kFloat32);
  }
  for (const auto& [k, v] : model->state_dict()) EXPECT_EQ(v.dtype(), is_floating(v.dtype()) ? kFloat32 : v.dtype()) << k;
  for (const auto& [k, v] : opt.state_dict()) {
    if (k.rfind("state.", 0) == 0 && is_floating(v.dtype()) && v.dim() > 0) {
      EXPECT_EQ(v.dtype(), kFloat32) << k;
    }
  }
}

TEST(Autocast, DeviceReportsLowPrecisionSupport) {
  for (DType t : {kBFloat16, kFloat16}) {
    amp::PrecisionInfo p = amp::precision_support(Device(), t);
    EXPECT_FALSE(p.detail.empty());
    EXPECT_EQ(p.detail.rfind(amp::precision_support_name(p.support), 0), 0u) << p.detail;
  }
  // float16 on the CPU: oneDNN 2.x has no f16 kernels on x86, so the reference loops say so.
  EXPECT_NE(amp::precision_support(Device(), kFloat16).support, amp::PrecisionSupport::Unsupported);
  // bfloat16 runs on every x86 CPU, as PyTorch's autocast does: oneDNN's kernels on AVX-512, the
  // reference loops on AVX2 (scripts/test runs the suite with ONEDNN_MAX_CPU_ISA=AVX2 too).
  EXPECT_NE(amp::require_precision(Device(), kBFloat16).support, amp::PrecisionSupport::Unsupported);
  EXPECT_EQ(amp::require_precision(Device(), kFloat32).support, amp::PrecisionSupport::Native);
  EXPECT_EMBER_ERROR(amp::precision_support(Device(), kFloat32), "precision_support", "float32");
  EXPECT_EQ(amp::parse_precision("bf16"), kBFloat16);
  EXPECT_EQ(amp::parse_precision("fp16"), kFloat16);
  EXPECT_EQ(amp::parse_precision("fp32"), kFloat32);
  EXPECT_STREQ(amp::precision_name(kBFloat16), "bf16");
  EXPECT_EMBER_ERROR(amp::parse_precision("fp8"), "unknown precision", "fp8");
  EXPECT_EMBER_ERROR(amp::precision_name(kInt32), "precision_name", "int32");
}
