// Channels-last (NHWC) activations: the layout helpers; the CPU conv kernels (oneDNN and the
// reference loops) with every mix of NCHW and NHWC operands against all-NCHW; conv2d and the
// fused BatchNorm → ReLU → MaxPool op on channels-last inputs (values, gradients, finite
// differences in float64, bfloat16, the scalar and vector channel paths, odd sizes); and
// autocast's bfloat16 conv2d producing channels-last outputs that the next layers keep.
#include <optional>

#include "backends/cpu/fast_path.h"
#include "core/kernels/conv.h"
#include "ops/memory_format.h"
#include "ember/amp.h"
#include "harness/op_harness.h"
#include "ops/dispatch.h"

using namespace ember;
using namespace ember::test;

namespace {

/// An NCHW copy of t (any layout), detached.
Tensor nchw(const Tensor& t) { return t.detach().contiguous(); }

/// A channels-last copy of t's values (strictly NHWC when C > 1), detached.
Tensor nhwc(const Tensor& t) { return to_channels_last(t.detach()); }

bool cpu_prefers_bf16_channels_last() { return get_backend(Device()).prefers_channels_last(kBFloat16); }

}  // namespace

TEST(ChannelsLast, LayoutHelpers) {
  Tensor x = uniform({2, 3, 4, 5}, -1, 1, 1);
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_FALSE(is_channels_last(x));
  Tensor y = to_channels_last(x);
  EXPECT_TRUE(is_channels_last(y));
  EXPECT_FALSE(y.is_contiguous());
  EXPECT_EQ(y.strides(), (Shape{60, 1, 15, 3}));
  EXPECT_EQ(y.shape(), x.shape());
  EXPECT_ALLCLOSE(y, x, 0, 0);
  EXPECT_TRUE(to_channels_last(y).is_same(y));
  // One channel: NCHW and NHWC are the same bytes, so the tensor is both.
  Tensor one = uniform({2, 1, 4, 5});
  EXPECT_TRUE(one.is_contiguous() && is_channels_last(one));
  EXPECT_TRUE(arg_of(y).dense());
  EXPECT_FALSE(arg_of(x.slice(3, 0, 4)).dense());
  // A dtype conversion keeps the layout (autocast converts activations so).
  Tensor yb = y.to(kBFloat16);
  EXPECT_TRUE(is_channels_last(yb) && !yb.is_contiguous());
  EXPECT_ALLCLOSE(yb.to(kFloat64), x.to(kBFloat16).to(kFloat64), 0, 0);
  // Copies between two channels-last tensors and across layouts keep the values.
  Tensor z = to_channels_last(zeros({2, 3, 4, 5}, kFloat64));
  z.copy_(y);
  EXPECT_ALLCLOSE(z, x, 0, 0);
  // Across layouts, with and without a dtype conversion, for channel counts below, at and
  // across the copy's 16-channel tiles and its 8x8 float32 transpose blocks, with 15 pixels
  // (one block of rows and a ragged edge) and 81 (across two 64-row slabs).
  for (int64_t C : {3, 16, 20})
    for (int64_t H : {3, 9}) {
      SCOPED_TRACE("C " + std::to_string(C) + " H " + std::to_string(H));
      const Shape sh{2, C, H, H == 3 ? 5 : 9};
      Tensor a = uniform(sh, -1, 1, 30 + C);
      Tensor cl = to_channels_last(zeros(sh, kFloat32));
      cl.copy_(a);
      EXPECT_ALLCLOSE(cl, a.to(kFloat32), 0, 0);
      EXPECT_ALLCLOSE(cl.contiguous(), a.to(kFloat32), 0, 0);
      Tensor back = zeros(sh, kFloat64);
      back.copy_(cl);
      EXPECT_ALLCLOSE(back, a.to(kFloat32).to(kFloat64), 0, 0);
      // float32 to float32 both ways (the register-block transpose), checked element by element.
      Tensor a32 = a.to(kFloat32), cl32 = to_channels_last(zeros(sh, kFloat32));
      cl32.copy_(a32);
      Tensor nchw = zeros(sh, kFloat32);
      nchw.copy_(cl32);
      const std::vector<float> want = a32.to_vector<float>(), got = nchw.to_vector<float>();
      EXPECT_EQ(got, want);
      EXPECT_ALLCLOSE(cl32, a32, 0, 0);
    }
  EXPECT_EMBER_ERROR(to_channels_last(zeros({2, 3, 4})), "4-D");
}

TEST(ChannelsLast, ConvKernelsTakeEveryLayoutMix) {
  // The CPU conv kernels, called directly with each of x / out (forward), grad_out / grad_x
  // (backward data) and grad_out / x (backward weights) NCHW or NHWC, match the all-NCHW
  // results: float32 through oneDNN and the reference loops, float64 through the reference loops.
  auto& table = get_backend(Device()).kernels();
  auto* fwd = table.get(kernels::kConv2dForward);
  auto* bwd_in = table.get(kernels::kConv2dBackwardInput);
  auto* bwd_w = table.get(kernels::kConv2dBackwardWeight);
  ASSERT_TRUE(fwd && bwd_in && bwd_w);
  kernels::Conv2dGeometry g;
  g.padding = {1, 0};
  g.stride = {1, 2};
  for (DType dt : {kFloat32, kFloat64})
    for (bool reference : {false, true}) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + (reference ? " reference" : " fast"));
      std::optional<cpu::ReferenceKernelsScope> ref;
      if (reference) ref.emplace();
      const Shape xs{3, 5, 7, 9}, ws{4, 5, 3, 3}, os{3, 4, 7, 4};
      Tensor x = uniform(xs, -1, 1, 2).to(dt), w = uniform(ws, -1, 1, 3).to(dt), b = uniform({4}, -1, 1, 4).to(dt);
      Tensor go = uniform(os, -1, 1, 5).to(dt);
      Tensor y0 = zeros(os, dt), gx0 = zeros(xs, dt), gw0 = zeros(ws, dt), gb0 = zeros({4}, dt);
      TensorArg ba = arg_of(b), gba0 = arg_of(gb0);
      fwd(arg_of(x), arg_of(w), &ba, arg_of(y0), g);
      bwd_in(arg_of(go), arg_of(w), arg_of(gx0), g);
      bwd_w(arg_of(go), arg_of(x), arg_of(gw0), &gba0, g);
      const double tol = dt == kFloat32 ? 1e-5 : 1e-12;
      for (int mix = 1; mix < 4; ++mix) {
        SCOPED_TRACE("mix " + std::to_string(mix));
        const bool a_cl = mix & 1, b_cl = mix & 2;
        Tensor xa = a_cl ? nhwc(x) : x, goa = a_cl ? nhwc(go) : go;
        Tensor y = b_cl ? to_channels_last(zeros(os, dt)) : zeros(os, dt);
        Tensor gx = b_cl ? to_channels_last(zeros(xs, dt)) : zeros(xs, dt);
        Tensor xb = b_cl ? nhwc(x) : x;
        Tensor gw = zeros(ws, dt), gb = zeros({4}, dt);
        TensorArg gba = arg_of(gb);
        fwd(arg_of(xa), arg_of(w), &ba, arg_of(y), g);
        bwd_in(arg_of(goa), arg_of(w), arg_of(gx), g);
        bwd_w(arg_of(goa), arg_of(xb), arg_of(gw), &gba, g);
        EXPECT_ALLCLOSE(nchw(y), y0, tol, tol);
        EXPECT_ALLCLOSE(nchw(gx), gx0, tol, tol);
        EXPECT_ALLCLOSE(gw, gw0, 10 * tol, 10 * tol);
        EXPECT_ALLCLOSE(gb, gb0, 10 * tol, 10 * tol);
      }
    }
}

TEST(ChannelsLast, Conv2dOnChannelsLastInputs) {
  // conv2d takes a channels-last input as it is; its gradient comes back in that layout.
  Conv2dParams p;
  p.padding = {1, 1};
  Tensor x = uniform({2, 3, 6, 5}, -1, 1, 6), w = uniform({4, 3, 3, 3}, -1, 1, 7), b = uniform({4}, -1, 1, 8);
  for (DType dt : {kFloat32, kFloat64}) {
    SCOPED_TRACE(dtype_name(dt));
    Tensor xa = nhwc(x.to(dt)).set_requires_grad(true), xb = x.to(dt).detach().set_requires_grad(true);
    Tensor wa = w.to(dt).detach().set_requires_grad(true), wb = w.to(dt).detach().set_requires_grad(true);
    Tensor ya = conv2d(xa, wa, b.to(dt), p), yb = conv2d(xb, wb, b.to(dt), p);
    const double tol = dt == kFloat32 ? 1e-5 : 1e-12;
    EXPECT_ALLCLOSE(ya, yb, tol, tol);
    Tensor gw = uniform(yb.shape(), -1, 1, 9).to(dt);
    // The gradient reaching the layer below keeps the input's layout (a leaf's .grad is made
    // contiguous by the engine, so look at it through grad()).
    Tensor gl = grad({sum(mul(conv2d(xa, wa, b.to(dt), p), gw))}, {xa})[0];
    EXPECT_TRUE(is_channels_last(gl) && !gl.is_contiguous());
    sum(mul(ya, gw)).backward(), sum(mul(yb, gw)).backward();
    EXPECT_ALLCLOSE(xa.grad(), xb.grad(), tol, tol);
    EXPECT_ALLCLOSE(wa.grad(), wb.grad(), 10 * tol, 10 * tol);
  }
  EXPECT_GRADCHECK([&](auto& v) { return conv2d(to_channels_last(v[0]), v[1], v[2], p); },
                   {uniform({2, 3, 4, 5}, -1, 1, 10), uniform({2, 3, 3, 3}, -1, 1, 11), uniform({2}, -1, 1, 12)});
}

TEST(ChannelsLast, FusedBlockMatchesNchw) {
  // The NHWC fused kernels against the NCHW ones: C 16 takes the 8-channel vector blocks, C 3
  // the plain loops; odd H / W leave rows and columns no window covers.
  for (DType dt : {kFloat32, kFloat64})
    for (Shape s : {Shape{4, 16, 14, 14}, Shape{2, 3, 7, 9}, Shape{3, 16, 5, 6}, Shape{2, 8, 2, 2}}) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " " + shape_str(s));
      const int64_t C = s[1];
      Tensor x = uniform(s, -2, 2, 13).to(dt);
      Tensor w = uniform({C}, -1.5, 1.5, 14).to(dt), b = uniform({C}, -0.3, 0.3, 15).to(dt);
      Tensor gout = uniform({s[0], C, s[2] / 2, s[3] / 2}, 0.5, 1.5, 16).to(dt);
      auto run = [&](Tensor xin, Tensor& dx, Tensor& dw, Tensor& db, Tensor& rm, Tensor& rv) {
        Tensor xi = xin.set_requires_grad(true), wi = w.detach().clone().set_requires_grad(true);
        Tensor bi = b.detach().clone().set_requires_grad(true);
        rm = zeros({C}, dt), rv = ones({C}, dt);
        Tensor y = batch_norm_relu_max_pool2d(xi, rm, rv, wi, bi);
        if (!xin.is_contiguous()) {  // the input gradient keeps the layout (seen through grad())
          Tensor y2 = batch_norm_relu_max_pool2d(xi, Tensor(), Tensor(), wi, bi);
          Tensor gl = grad({sum(mul(y2, gout))}, {xi})[0];
          EXPECT_TRUE(is_channels_last(gl) && !gl.is_contiguous());
        }
        sum(mul(y, gout)).backward();
        dx = xi.grad(), dw = wi.grad(), db = bi.grad();
        return y;
      };
      Tensor dxa, dwa, dba, rma, rva, dxb, dwb, dbb, rmb, rvb;
      Tensor ya = run(nhwc(x), dxa, dwa, dba, rma, rva), yb = run(x.detach().clone(), dxb, dwb, dbb, rmb, rvb);
      EXPECT_TRUE(is_channels_last(ya));
      const double tol = dt == kFloat32 ? 2e-5 : 1e-12;
      EXPECT_ALLCLOSE(ya, yb, tol, tol);
      EXPECT_ALLCLOSE(rma, rmb, tol, tol);
      EXPECT_ALLCLOSE(rva, rvb, tol, tol);
      EXPECT_ALLCLOSE(dxa, dxb, 10 * tol, 10 * tol);
      EXPECT_ALLCLOSE(dwa, dwb, 10 * tol, 10 * tol);
      EXPECT_ALLCLOSE(dba, dbb, 10 * tol, 10 * tol);
    }
  EXPECT_GRADCHECK(
      [](auto& v) { return batch_norm_relu_max_pool2d(to_channels_last(v[0]), Tensor(), Tensor(), v[1], v[2]); },
      {uniform({2, 3, 5, 4}, -1, 1, 17), uniform({3}, 0.5, 1.5, 18), uniform({3}, -0.2, 0.2, 19)});
}

// batch_norm on a channels-last input keeps the layout for its output and input gradient, and
// the CPU's NHWC fast kernels (rows of C channels) match the reference loops in training (batch
// statistics) and eval (running statistics), and the NCHW computation.
TEST(ChannelsLast, BatchNormKeepsLayoutAndMatchesReference) {
  for (Shape s : {Shape{4, 16, 7, 7}, Shape{2, 3, 5, 4}, Shape{2, 32, 1, 1}})
    for (bool training : {true, false}) {
      SCOPED_TRACE(shape_str(s) + (training ? " training" : " eval"));
      const int64_t C = s[1];
      Tensor x = uniform(s, -2, 2, 21), gout = uniform(s, -1, 1, 22);
      Tensor w = uniform({C}, 0.5, 1.5, 23), b = uniform({C}, -0.3, 0.3, 24);
      auto run = [&](Tensor xin, bool reference) {
        std::optional<cpu::ReferenceKernelsScope> ref;
        if (reference) ref.emplace();
        Tensor xi = xin.set_requires_grad(true), wi = w.detach().clone().set_requires_grad(true);
        Tensor bi = b.detach().clone().set_requires_grad(true);
        Tensor rm = uniform({C}, -0.1, 0.1, 25), rv = uniform({C}, 0.5, 1.5, 26);
        Tensor y = batch_norm(xi, rm, rv, wi, bi, training, 0.1, 1e-5);
        std::vector<Tensor> g = grad({sum(mul(y, gout))}, {xi, wi, bi});  // as the op returns them
        return std::vector<Tensor>{y, g[0], g[1], g[2], rm, rv};
      };
      std::vector<Tensor> fast = run(nhwc(x), false), ref = run(nhwc(x), true), plain = run(x.detach().clone(), false);
      if (s[2] * s[3] > 1) {  // (with 1x1 planes NHWC is also NCHW)
        EXPECT_TRUE(is_channels_last(fast[0]) && !fast[0].is_contiguous()) << "output left channels-last";
        EXPECT_TRUE(is_channels_last(fast[1]) && !fast[1].is_contiguous()) << "input gradient left channels-last";
      }
      const char* what[] = {"output", "grad input", "grad weight", "grad bias", "running mean", "running var"};
      for (int i = 0; i < 6; ++i) {
        SCOPED_TRACE(what[i]);
        EXPECT_ALLCLOSE(fast[i], ref[i], 1e-5, 1e-5);
        EXPECT_ALLCLOSE(fast[i], plain[i], 1e-5, 1e-5);
      }
    }
  EXPECT_GRADCHECK([](auto& v) { return batch_norm(to_channels_last(v[0]), Tensor(), Tensor(), v[1], v[2], true, 0.1, 1e-5); },
                   {uniform({2, 3, 5, 4}, -1, 1, 27), uniform({3}, 0.5, 1.5, 28), uniform({3}, -0.2, 0.2, 29)});
}

TEST(ChannelsLast, FusedBlockBfloat16UnderAutocast) {
  // A bfloat16 channels-last map under autocast (what a bf16 conv hands the block): float32
  // output and statistics equal to the float32 op on the same (exactly widened) values, in both
  // the 8-channel vector path (C 32) and the plain loops (C 5).
  for (Shape s : {Shape{4, 32, 14, 14}, Shape{2, 5, 7, 6}}) {
    SCOPED_TRACE(shape_str(s));
    const int64_t C = s[1];
    Tensor xb = nhwc(uniform(s, -2, 2, 20).to(kBFloat16));
    Tensor w = uniform({C}, 0.5, 1.5, 21).to(kFloat32), b = uniform({C}, -0.3, 0.3, 22).to(kFloat32);
    Tensor xa = nhwc(xb.contiguous()).set_requires_grad(true);
    ASSERT_TRUE(is_channels_last(xa) && !xa.is_contiguous());
    Tensor ya;
    {
      amp::AutocastGuard ac(kBFloat16);
      ya = batch_norm_relu_max_pool2d(xa, Tensor(), Tensor(), w, b);
    }
    EXPECT_EQ(ya.dtype(), kFloat32);
    Tensor xf = xb.to(kFloat32).contiguous().set_requires_grad(true);
    Tensor yf = batch_norm_relu_max_pool2d(xf, Tensor(), Tensor(), w, b);
    EXPECT_ALLCLOSE(ya, yf, 2e-5, 2e-5);
    Tensor g = uniform(ya.shape(), 0.5, 1.5, 23).to(kFloat32);
    sum(mul(ya, g)).backward(), sum(mul(yf, g)).backward();
    EXPECT_EQ(xa.grad().dtype(), kBFloat16);
    EXPECT_ALLCLOSE(xa.grad().to(kFloat32), xf.grad().to(kBFloat16).to(kFloat32), 1e-2, 1e-3);
    // The input gradient is the same bit for bit with the fast paths off, where bfloat16 is
    // rounded by the portable vector code instead of AVX512-BF16 (on CPUs that have it).
    Tensor xr = nhwc(xb.contiguous()).set_requires_grad(true);
    {
      cpu::ReferenceKernelsScope ref;
      Tensor yr;
      {
        amp::AutocastGuard ac(kBFloat16);
        yr = batch_norm_relu_max_pool2d(xr, Tensor(), Tensor(), w, b);
      }
      sum(mul(yr, g)).backward();
    }
    EXPECT_EQ(xr.grad().to(kFloat32).to_vector<float>(), xa.grad().to(kFloat32).to_vector<float>());
  }
}

TEST(ChannelsLast, AutocastConvProducesChannelsLastWhereTheCpuPrefersIt) {
  // Under bfloat16 autocast, conv2d's output is channels-last where the CPU backend prefers that
  // (native bfloat16 convolutions and fast paths on); either way its values match the float32
  // convolution within bfloat16 rounding, and the input gradient keeps the input's layout.
  Conv2dParams p;
  p.padding = {1, 1};
  Tensor x = uniform({4, 8, 10, 10}, -1, 1, 24).to(kFloat32).set_requires_grad(true);
  Tensor w = uniform({16, 8, 3, 3}, -0.3, 0.3, 25).to(kFloat32).set_requires_grad(true);
  Tensor y;
  {
    amp::AutocastGuard ac(kBFloat16);
    y = conv2d(x, w, Tensor(), p);
  }
  EXPECT_EQ(y.dtype(), kBFloat16);
  EXPECT_EQ(is_channels_last(y) && !y.is_contiguous(), cpu_prefers_bf16_channels_last());
  Tensor ref = conv2d(x.detach(), w.detach(), Tensor(), p);
  EXPECT_ALLCLOSE(y.to(kFloat32), ref, 3e-2, 3e-2);
  sum(y.to(kFloat32)).backward();
  EXPECT_TRUE(x.grad().is_contiguous());
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  EXPECT_EQ(w.grad().dtype(), kFloat32);
}
