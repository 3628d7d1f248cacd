// The CPU fast paths a small GPT's step leans on, against the reference loops: float32 GELU and
// its gradient on 8-float vectors (close to the double reference over the whole float range,
// tails included), and the leading-rows sum behind bias gradients (bit for bit the reference's,
// since it adds in the same order in double), with the layouts each declines.
#include "backends/cpu/fast_path.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

/// f() with the fast paths on and with the reference loops only.
std::pair<Tensor, Tensor> both(const std::function<Tensor()>& f) {
  Tensor fast, ref;
  {
    const bool prev = cpu::fast_paths_enabled();
    cpu::set_fast_paths_enabled(true);
    fast = f();
    cpu::set_fast_paths_enabled(prev);
  }
  {
    cpu::ReferenceKernelsScope scope;
    ref = f();
  }
  return {fast, ref};
}


}  // namespace

TEST(ElementwiseFastPath, GeluMatchesTheDoubleReference) {
  // Every 1/64 from -12 to 12 (both tails, zero, the erf clamp at |x/sqrt 2| = 4), plus randoms;
  // an odd length exercises the padded last vector.
  Tensor grid = add(mul(arange(0.0, 1537.0, 1.0, TensorOptions(kFloat64)), 1.0 / 64), -12.0).to(kFloat32);
  Tensor x = cat({grid, uniform({1001}, -6, 6, 3).to(kFloat32)});
  Tensor g = uniform({x.numel()}, -2, 2, 4).to(kFloat32);
  auto [yf, yr] = both([&] { return gelu(x); });
  EXPECT_ALLCLOSE(yf, yr, 1e-5, 1e-6);
  x.set_requires_grad(true);
  auto [gf, gr] = both([&] {
    x.zero_grad();
    gelu(x).backward(g);
    return x.grad();
  });
  EXPECT_ALLCLOSE(gf, gr, 1e-5, 1e-6);
  // Non-contiguous operands take the reference loops: the same values exactly.
  Tensor m = uniform({37, 29}, -5, 5, 5).to(kFloat32);
  auto [nf, nr] = both([&] { return gelu(m.t()); });
  EXPECT_ALLCLOSE(nf, nr, 0, 0);
  // float64 is not taken by the fast path.
  Tensor d = uniform({100}, -5, 5, 6);
  auto [df, dr] = both([&] { return gelu(d); });
  EXPECT_ALLCLOSE(df, dr, 0, 0);
}

TEST(ElementwiseFastPath, GeluKeepsNanAndInfinities) {
  Tensor x = tensor({NAN, INFINITY, -INFINITY, 0.0}).to(kFloat32);
  auto [yf, yr] = both([&] { return gelu(x); });
  auto v = yf.to_vector<float>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], INFINITY);
  EXPECT_EQ(v[3], 0.0f);
  EXPECT_EQ(yr.to_vector<float>()[1], INFINITY);
}

TEST(ReduceFastPath, LeadingRowSumsAreTheReferencesBitForBit) {
  for (const Shape& s : {Shape{4096, 384}, Shape{3, 7, 100}, Shape{130, 17}}) {
    Tensor x = uniform(s, -1, 1, 7).to(kFloat32);
    auto [f0, r0] = both([&] { return sum(x, {0}); });
    EXPECT_ALLCLOSE(f0, r0, 0, 0) << shape_str(s);
    if (s.size() == 3) {
      auto [f01, r01] = both([&] { return sum(x, {0, 1}); });  // (B, T, C) -> (C): a Linear's bias gradient
      EXPECT_ALLCLOSE(f01, r01, 0, 0);
    }
    // A sliced view (rows further apart than they are long) and float64.
    Tensor v = x.reshape({s[0], -1}).slice(1, 0, 16);
    auto [fv, rv] = both([&] { return sum(v, {0}); });
    EXPECT_ALLCLOSE(fv, rv, 0, 0);
    Tensor d = x.to(kFloat64);
    auto [fd, rd] = both([&] { return sum(d, {0}); });
    EXPECT_ALLCLOSE(fd, rd, 0, 0);
  }
  // Layouts it declines (kept dims not one contiguous run): the reference answers.
  Tensor x = uniform({64, 48}, -1, 1, 8).to(kFloat32);
  auto [ft, rt] = both([&] { return sum(x.t(), {0}); });
  EXPECT_ALLCLOSE(ft, rt, 0, 0);
  EXPECT_ALLCLOSE(sum(x, {0}).to(kFloat64), sum(x.to(kFloat64), {0}), 1e-6, 1e-6);
}
