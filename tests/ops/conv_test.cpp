// conv2d tests: values against a naive loop written here, float64 gradchecks over stride /
// padding / dilation / groups, awkward inputs, errors, and the oneDNN fast path (forward and
// both backward kernels) against the reference loops in float32 and bfloat16.
#include <cmath>

#include "backends/cpu/fast_path.h"
#include "backends/cpu/onednn/conv.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

/// Independent conv2d: the definition, element by element, in double.
Tensor naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const Shape &xs = x.shape(), &ws = w.shape();
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], O = ws[0], Cg = ws[1], KH = ws[2], KW = ws[3];
  const int64_t OH = (H + 2 * p.padding[0] - p.dilation[0] * (KH - 1) - 1) / p.stride[0] + 1;
  const int64_t OW = (W + 2 * p.padding[1] - p.dilation[1] * (KW - 1) - 1) / p.stride[1] + 1;
  std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>(), out(N * O * OH * OW);
  std::vector<double> bv = b.defined() ? b.to_vector<double>() : std::vector<double>(O, 0.0);
  const int64_t Og = O / p.groups;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double s = bv[o];
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                int64_t ih = oh * p.stride[0] - p.padding[0] + kh * p.dilation[0];
                int64_t iw = ow * p.stride[1] - p.padding[1] + kw * p.dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                int64_t ci = (o / Og) * Cg + c;
                s += xv[((n * C + ci) * H + ih) * W + iw] * wv[((o * Cg + c) * KH + kh) * KW + kw];
              }
          out[((n * O + o) * OH + oh) * OW + ow] = s;
        }
  return from_vector(out, {N, O, OH, OW}, TensorOptions(kFloat64));
}

Conv2dParams P(std::array<int64_t, 2> s, std::array<int64_t, 2> pad, std::array<int64_t, 2> d, int64_t g) {
  Conv2dParams p;
  p.stride = s;
  p.padding = pad;
  p.dilation = d;
  p.groups = g;
  return p;
}

/// Parameter combinations with the input/weight shapes they apply to.
struct Case {
  Shape x, w;
  Conv2dParams p;
};
std::vector<Case> cases() {
  return {
      {{2, 3, 5, 6}, {4, 3, 3, 3}, P({1, 1}, {0, 0}, {1, 1}, 1)},
      {{2, 3, 5, 6}, {4, 3, 3, 2}, P({2, 1}, {1, 0}, {1, 1}, 1)},
      {{1, 2, 7, 7}, {3, 2, 3, 3}, P({1, 2}, {2, 1}, {2, 1}, 1)},
      {{2, 4, 6, 5}, {6, 2, 3, 3}, P({1, 1}, {1, 1}, {1, 1}, 2)},
      {{1, 4, 6, 6}, {4, 1, 2, 2}, P({2, 2}, {1, 1}, {2, 2}, 4)},  // depthwise, dilated
      {{2, 2, 6, 6}, {2, 2, 3, 3}, P({2, 2}, {0, 0}, {1, 1}, 1)},  // last input row unused
  };
}

/// Forward + backward with a fixed upstream gradient; returns {out, dx, dw, db}.
std::vector<Tensor> run_with_grads(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Conv2dParams& p) {
  Tensor x = x0.detach().clone().set_requires_grad(), w = w0.detach().clone().set_requires_grad();
  Tensor b = b0.detach().clone().set_requires_grad();
  Tensor out = conv2d(x, w, b, p);
  Tensor go = uniform(out.shape(), -1, 1, 77).to(out.dtype());
  out.backward(go);
  return {out.detach(), x.grad(), w.grad(), b.grad()};
}

void expect_fast_matches_reference(DType dt, const Shape& xs, const Shape& ws, const Conv2dParams& p, double rtol,
                                   double atol, bool require_onednn) {
  Tensor x = uniform(xs, -1, 1, 1).to(dt), w = uniform(ws, -1, 1, 2).to(dt), b = uniform({ws[0]}, -1, 1, 3).to(dt);
  int64_t calls = cpu::onednn::conv2d_calls();
  std::vector<Tensor> fast = run_with_grads(x, w, b, p);
  if (require_onednn) {
    EXPECT_EQ(cpu::onednn::conv2d_calls() - calls, 3) << "oneDNN did not serve all three kernels";
  }
  std::vector<Tensor> ref;
  {
    cpu::ReferenceKernelsScope scope;
    ref = run_with_grads(x, w, b, p);
  }
  const char* what[] = {"forward", "grad input", "grad weight", "grad bias"};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(what[i]);
    EXPECT_EQ(fast[i].dtype(), dt);
    EXPECT_ALLCLOSE(fast[i].to(kFloat64), ref[i].to(kFloat64), rtol, atol);
  }
}

}  // namespace

TEST(Conv2d, HandChecked) {
  Tensor x = T({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  Tensor w = T({1, 0, 0, 1}, {1, 1, 2, 2});
  EXPECT_ALLCLOSE(conv2d(x, w), T({6, 8, 12, 14}, {1, 1, 2, 2}));
  EXPECT_ALLCLOSE(conv2d(x, w, T({1}, {1})), T({7, 9, 13, 15}, {1, 1, 2, 2}));
  Conv2dParams p;
  p.padding = {1, 1};
  p.stride = {2, 2};
  // Padded 5x5, windows at rows/cols 0 and 2: top-left sees x[0,0] only at its (1,1) tap.
  EXPECT_ALLCLOSE(conv2d(x, w, Tensor(), p), T({1, 3, 7, 14}, {1, 1, 2, 2}));
}

TEST(Conv2d, MatchesNaiveLoop) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(shape_str(c.x) + " * " + shape_str(c.w));
    Tensor x = uniform(c.x, -1, 1, 4), w = uniform(c.w, -1, 1, 5), b = uniform({c.w[0]}, -1, 1, 6);
    EXPECT_ALLCLOSE(conv2d(x, w, b, c.p), naive_conv2d(x, w, b, c.p), 1e-12, 1e-12);
    EXPECT_ALLCLOSE(conv2d(x.to(kFloat32), w.to(kFloat32), b.to(kFloat32), c.p).to(kFloat64),
                    naive_conv2d(x, w, b, c.p), 1e-4, 1e-5);
  }
}

TEST(Conv2d, GradcheckInputWeightBias) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(shape_str(c.x) + " * " + shape_str(c.w));
    Conv2dParams p = c.p;
    EXPECT_GRADCHECK([p](auto& t) { return conv2d(t[0], t[1], t[2], p); },
                     {uniform(c.x, -1, 1, 7), uniform(c.w, -1, 1, 8), uniform({c.w[0]}, -1, 1, 9)});
  }
}

TEST(Conv2d, GradcheckWithoutBias) {
  EXPECT_GRADCHECK([](auto& t) { return conv2d(t[0], t[1], Tensor(), P({1, 2}, {1, 2}, {1, 1}, 3)); },
                   {uniform({2, 3, 4, 5}), uniform({3, 1, 2, 3}, -1, 1, 2)});
}

TEST(Conv2d, NonContiguousInputs) {
  Tensor x = uniform({2, 4, 5, 5}, -1, 1, 3), w = uniform({6, 2, 3, 3}, -1, 1, 4), b = uniform({6}, -1, 1, 5);
  Conv2dParams p = P({1, 1}, {1, 1}, {1, 1}, 2);
  Tensor xn = noncontiguous(x), wn = noncontiguous(w);
  ASSERT_FALSE(xn.is_contiguous());
  EXPECT_ALLCLOSE(conv2d(xn, wn, b, p), naive_conv2d(x, w, b, p), 1e-12, 1e-12);
  // A permuted (channels-last style) view as input.
  Tensor xcl = x.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2});
  EXPECT_ALLCLOSE(conv2d(xcl, w, b, p), naive_conv2d(x, w, b, p), 1e-12, 1e-12);
  EXPECT_GRADCHECK([p](auto& t) { return conv2d(noncontiguous(t[0]), noncontiguous(t[1]), t[2], p); },
                   {uniform({1, 4, 3, 3}), uniform({2, 2, 2, 2}, -1, 1, 2), uniform({2}, -1, 1, 3)});
}

TEST(Conv2d, BatchOneAndZero) {
  Tensor w = uniform({3, 2, 3, 3}, -1, 1, 2), b = uniform({3}, -1, 1, 3);
  Tensor x1 = uniform({1, 2, 4, 4});
  EXPECT_ALLCLOSE(conv2d(x1, w, b), naive_conv2d(x1, w, b, {}), 1e-12, 1e-12);
  Tensor x0 = zeros({0, 2, 4, 4}, kFloat64).set_requires_grad();
  Tensor wg = w.clone().set_requires_grad(), bg = b.clone().set_requires_grad();
  Tensor out = conv2d(x0, wg, bg);
  EXPECT_EQ(out.shape(), (Shape{0, 3, 2, 2}));
  sum(out).backward();
  EXPECT_EQ(x0.grad().shape(), (Shape{0, 2, 4, 4}));
  EXPECT_ALLCLOSE(wg.grad(), zeros({3, 2, 3, 3}, kFloat64));
  EXPECT_ALLCLOSE(bg.grad(), zeros({3}, kFloat64));
}

TEST(Conv2d, LargeThreadedMatchesNaive) {
  // 16*64*14*14 outputs: well past cpu::kGrainSize, in both the reference and fast paths.
  Tensor x = uniform({16, 32, 14, 14}, -1, 1, 1), w = uniform({64, 32, 3, 3}, -1, 1, 2), b = uniform({64}, -1, 1, 3);
  Conv2dParams p = P({1, 1}, {1, 1}, {1, 1}, 1);
  Tensor expected = naive_conv2d(x, w, b, p);
  EXPECT_ALLCLOSE(conv2d(x, w, b, p), expected, 1e-12, 1e-10);
  EXPECT_ALLCLOSE(conv2d(x.to(kFloat32), w.to(kFloat32), b.to(kFloat32), p).to(kFloat64), expected, 1e-4, 1e-4);
}

TEST(Conv2d, OneDnnMatchesReferenceFloat32) {
  expect_fast_matches_reference(kFloat32, {16, 32, 14, 14}, {64, 32, 3, 3}, P({1, 1}, {1, 1}, {1, 1}, 1), 1e-4, 1e-4,
                                true);
}

TEST(Conv2d, OneDnnBlockedLayoutsMatchReference) {
  // Shapes where oneDNN picks blocked layouts (nChw16c activations, blocked weights) and the
  // arguments are staged through reorders: a single-channel first layer, channel counts that
  // are not multiples of the block, and repeated calls reusing the cached scratch buffers.
  expect_fast_matches_reference(kFloat32, {4, 1, 28, 28}, {32, 1, 3, 3}, P({1, 1}, {1, 1}, {1, 1}, 1), 1e-4, 1e-4,
                                true);
  expect_fast_matches_reference(kFloat32, {3, 20, 9, 11}, {24, 20, 3, 3}, P({1, 1}, {1, 1}, {1, 1}, 1), 1e-4, 1e-4,
                                true);
  expect_fast_matches_reference(kFloat32, {3, 20, 9, 11}, {24, 20, 3, 3}, P({1, 1}, {1, 1}, {1, 1}, 1), 1e-4, 1e-4,
                                true);
}

TEST(Conv2d, OneDnnMatchesReferenceFloat32Params) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(shape_str(c.x) + " * " + shape_str(c.w));
    expect_fast_matches_reference(kFloat32, c.x, c.w, c.p, 1e-4, 1e-5, false);
  }
}

TEST(Conv2d, OneDnnMatchesReferenceBFloat16) {
  // bfloat16 keeps 8 significant bits: allow a couple of ulps of the largest values.
  expect_fast_matches_reference(kBFloat16, {16, 32, 14, 14}, {64, 32, 3, 3}, P({1, 1}, {1, 1}, {1, 1}, 1), 2e-2,
                                0.25, false);
}

TEST(Conv2d, Float16AgreesWithFloat32) {
  Tensor x = uniform({2, 4, 6, 6}, -1, 1, 1), w = uniform({5, 4, 3, 3}, -1, 1, 2), b = uniform({5}, -1, 1, 3);
  Tensor out = conv2d(x.to(kFloat16), w.to(kFloat16), b.to(kFloat16), P({1, 1}, {1, 1}, {1, 1}, 1));
  EXPECT_EQ(out.dtype(), kFloat16);
  EXPECT_ALLCLOSE(out.to(kFloat64), naive_conv2d(x, w, b, P({1, 1}, {1, 1}, {1, 1}, 1)), 1e-2, 2e-2);
}

TEST(Conv2d, OneDnnPrimitivesAreCached) {
  Tensor x = uniform({3, 5, 9, 9}).to(kFloat32), w = uniform({7, 5, 3, 3}, -1, 1, 2).to(kFloat32);
  Conv2dParams p = P({1, 1}, {1, 1}, {1, 1}, 1);
  run_with_grads(x, w, zeros({7}), p);
  int64_t created = cpu::onednn::conv2d_primitives_created(), calls = cpu::onednn::conv2d_calls();
  for (int i = 0; i < 3; ++i) run_with_grads(x, w, zeros({7}), p);
  EXPECT_EQ(cpu::onednn::conv2d_calls() - calls, 9);
  EXPECT_EQ(cpu::onednn::conv2d_primitives_created(), created);
}

// ResNet's 3x3 convolution (16 channels, float32 NCHW): the backward reorders grad_out into
// oneDNN's blocked layout once for both gradients, and still matches the reference loops.
TEST(Conv2d, OneDnnBackwardStagesGradOutOnce) {
  const Shape xs{4, 16, 10, 10}, ws{16, 16, 3, 3};
  const Conv2dParams p = P({1, 1}, {1, 1}, {1, 1}, 1);
  const int64_t shared = cpu::onednn::conv2d_shared_stagings();
  expect_fast_matches_reference(kFloat32, xs, ws, p, 1e-4, 1e-4, true);
  EXPECT_EQ(cpu::onednn::conv2d_shared_stagings() - shared, 1);
}

TEST(Conv2d, Errors) {
  EXPECT_EMBER_ERROR(conv2d(zeros({8, 3, 28, 28}), zeros({16, 1, 3, 3})), "conv2d", "[8,3,28,28]", "3 channels",
                     "[16,1,3,3]", "expects 1", "groups=1");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 4, 5, 5}), zeros({3, 2, 3, 3}), Tensor(), P({1, 1}, {0, 0}, {1, 1}, 2)),
                     "conv2d", "[3,2,3,3]", "groups=2");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 2, 2}), zeros({4, 3, 3, 3})), "conv2d", "[1,3,2,2]", "empty output");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3, 3}), Tensor(), P({1, 1}, {0, 0}, {3, 3}, 1)),
                     "conv2d", "dilation", "empty output");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3, 3}), zeros({3})), "conv2d", "bias", "[3]");
  EXPECT_EMBER_ERROR(conv2d(zeros({3, 5, 5}), zeros({4, 3, 3, 3})), "conv2d", "4-D", "[3,5,5]");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3})), "conv2d", "weight", "[4,3,3]");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3, 3}, kFloat64)), "conv2d", "float32", "float64");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 5, 5}, kInt64), zeros({4, 3, 3, 3}, kInt64)), "conv2d", "floating");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3, 3}), Tensor(), P({0, 1}, {0, 0}, {1, 1}, 1)),
                     "conv2d", "stride");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3, 3}), Tensor(), P({1, 1}, {-1, 0}, {1, 1}, 1)),
                     "conv2d", "padding");
  EXPECT_EMBER_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({4, 3, 3, 3}), Tensor(), P({1, 1}, {0, 0}, {1, 1}, 0)),
                     "conv2d", "groups");
}
