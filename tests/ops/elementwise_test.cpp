// Elementwise op tests: values, broadcasting, dtypes, non-contiguous inputs, threading
// thresholds, error cases, and finite-difference gradients for every differentiable op.
#include <cmath>

#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
Tensor pos(const Shape& s, uint64_t seed = 3) { return uniform(s, 0.5, 2.0, seed); }
}  // namespace

TEST(Add, ValuesBroadcastGrad) {
  Tensor a = T({1, 2, 3, 4, 5, 6}, {2, 3}), b = T({10, 20, 30}, {3});
  EXPECT_ALLCLOSE(add(a, b), T({11, 22, 33, 14, 25, 36}, {2, 3}));
  EXPECT_ALLCLOSE(a + 1.0, T({2, 3, 4, 5, 6, 7}, {2, 3}));
  EXPECT_GRADCHECK([](auto& x) { return add(x[0], x[1]); }, {uniform({2, 3}), uniform({3}, -1, 1, 2)});
  EXPECT_GRADCHECK([](auto& x) { return add(x[0], x[1]); }, {uniform({4, 1}), uniform({1, 5}, -1, 1, 2)});
  EXPECT_EMBER_ERROR(add(zeros({2, 3}), zeros({4})), "add", "[2,3]", "[4]");
}

TEST(Sub, ValuesAndGrad) {
  EXPECT_ALLCLOSE(sub(T({5, 7}, {2}), T({1, 2}, {2})), T({4, 5}, {2}));
  EXPECT_ALLCLOSE(1.0 - T({5, 7}, {2}), T({-4, -6}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return sub(x[0], x[1]); }, {uniform({3, 2}), uniform({2}, -1, 1, 2)});
}

TEST(Mul, ValuesAndGrad) {
  EXPECT_ALLCLOSE(mul(T({1, 2}, {2}), T({3, 4}, {2})), T({3, 8}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return mul(x[0], x[1]); }, {uniform({2, 3}), uniform({2, 1}, -1, 1, 2)});
}

TEST(Div, ValuesAndGrad) {
  EXPECT_ALLCLOSE(div(T({1, 3}, {2}), T({2, 4}, {2})), T({0.5, 0.75}, {2}));
  EXPECT_EQ(div(arange(4), arange(1.0, 5.0)).dtype(), kFloat32);  // true division
  EXPECT_GRADCHECK([](auto& x) { return div(x[0], x[1]); }, {uniform({2, 3}), pos({3})});
  EXPECT_TRUE(std::isinf(div(arange(1.0, 2.0), zeros({1}, kInt64)).item()));  // true division of integers
}

TEST(Pow, ValuesAndGrad) {
  EXPECT_ALLCLOSE(pow(T({2, 3}, {2}), 2.0), T({4, 9}, {2}));
  EXPECT_ALLCLOSE(pow(T({4}, {1}), T({0.5}, {1})), T({2}, {1}));
  EXPECT_GRADCHECK([](auto& x) { return pow(x[0], 3.0); }, {uniform({5})});
  EXPECT_GRADCHECK([](auto& x) { return pow(x[0], -1.5); }, {pos({5})});
  EXPECT_GRADCHECK([](auto& x) { return pow(x[0], x[1]); }, {pos({4}), uniform({4}, -1, 1, 5)});
}

TEST(Neg, ValuesAndGrad) {
  EXPECT_ALLCLOSE(-T({1, -2}, {2}), T({-1, 2}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return neg(x[0]); }, {uniform({3})});
}

TEST(Exp, ValuesAndGrad) {
  EXPECT_ALLCLOSE(exp(T({0, 1}, {2})), T({1, std::exp(1.0)}, {2}));
  EXPECT_EQ(exp(arange(3)).dtype(), kFloat32);
  EXPECT_GRADCHECK([](auto& x) { return exp(x[0]); }, {uniform({2, 3})});
}

TEST(Log, ValuesAndGrad) {
  EXPECT_ALLCLOSE(log(T({1, std::exp(2.0)}, {2})), T({0, 2}, {2}));
  EXPECT_TRUE(std::isinf(log(T({0}, {1})).item()));
  EXPECT_GRADCHECK([](auto& x) { return log(x[0]); }, {pos({2, 3})});
}

TEST(Sqrt, ValuesAndGrad) {
  EXPECT_ALLCLOSE(sqrt(T({4, 9}, {2})), T({2, 3}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return sqrt(x[0]); }, {pos({4})});
}

TEST(Abs, ValuesAndGrad) {
  EXPECT_ALLCLOSE(abs(T({-3, 2}, {2})), T({3, 2}, {2}));
  EXPECT_EQ(abs(from_vector(std::vector<int64_t>{-3, 2}, {2})).to_vector<int64_t>(), (std::vector<int64_t>{3, 2}));
  EXPECT_GRADCHECK([](auto& x) { return abs(x[0]); }, {T({-1.5, -0.3, 0.4, 2.0}, {4})});
}

TEST(Square, ValuesAndGrad) {
  EXPECT_ALLCLOSE(square(T({-3, 2}, {2})), T({9, 4}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return square(x[0]); }, {uniform({3})});
}

TEST(Reciprocal, ValuesAndGrad) {
  EXPECT_ALLCLOSE(reciprocal(T({4, -0.5}, {2})), T({0.25, -2}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return reciprocal(x[0]); }, {pos({3})});
}

TEST(Tanh, ValuesAndGrad) {
  EXPECT_ALLCLOSE(tanh(T({0, 1}, {2})), T({0, std::tanh(1.0)}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return tanh(x[0]); }, {uniform({2, 2}, -3, 3)});
}

TEST(Sigmoid, ValuesAndGrad) {
  EXPECT_ALLCLOSE(sigmoid(T({0, 100, -100}, {3})), T({0.5, 1, 0}, {3}));
  EXPECT_GRADCHECK([](auto& x) { return sigmoid(x[0]); }, {uniform({5}, -4, 4)});
}

TEST(Relu, ValuesAndGrad) {
  EXPECT_ALLCLOSE(relu(T({-1, 0, 2}, {3})), T({0, 0, 2}, {3}));
  EXPECT_GRADCHECK([](auto& x) { return relu(x[0]); }, {T({-1.2, -0.1, 0.3, 2.0}, {4})});
}

TEST(LeakyRelu, ValuesAndGrad) {
  // torch.nn.functional.leaky_relu(torch.tensor([-2., -0.5, 0., 1.5])) and negative_slope=0.2
  EXPECT_ALLCLOSE(leaky_relu(T({-2, -0.5, 0, 1.5}, {4})), T({-0.02, -0.005, 0, 1.5}, {4}));
  EXPECT_ALLCLOSE(leaky_relu(T({-2, -0.5, 0, 1.5}, {4}), 0.2), T({-0.4, -0.1, 0, 1.5}, {4}));
  // float64 central differences on both sides of 0, default and custom slopes
  EXPECT_GRADCHECK([](auto& x) { return leaky_relu(x[0]); }, {T({-1.2, -0.1, 0.3, 2.0}, {4})});
  EXPECT_GRADCHECK([](auto& x) { return leaky_relu(x[0], 0.3); }, {T({-2.5, -0.4, 0.2, 1.1, 3.0}, {5})});
  // the gradient at 0 is the slope (PyTorch: x > 0 ? grad : grad * slope)
  Tensor z = T({0.0}, {1});
  z.set_requires_grad(true);
  sum(leaky_relu(z, 0.25)).backward();
  EXPECT_ALLCLOSE(z.grad(), T({0.25}, {1}));
  EXPECT_TRUE(std::isnan(leaky_relu(T({NAN}, {1})).item()));
}

TEST(Gelu, ValuesAndGrad) {
  // torch.nn.functional.gelu(torch.tensor([-1., 0., 1., 2.]))
  EXPECT_ALLCLOSE(gelu(T({-1, 0, 1, 2}, {4})), T({-0.15865525, 0, 0.84134475, 1.95449974}, {4}), 1e-6, 1e-7);
  EXPECT_GRADCHECK([](auto& x) { return gelu(x[0]); }, {uniform({6}, -3, 3)});
}

TEST(Clamp, ValuesAndGrad) {
  EXPECT_ALLCLOSE(clamp(T({-2, 0.5, 3}, {3}), -1, 1), T({-1, 0.5, 1}, {3}));
  EXPECT_ALLCLOSE(clamp_min(T({-2, 3}, {2}), 0), T({0, 3}, {2}));
  EXPECT_ALLCLOSE(clamp_max(T({-2, 3}, {2}), 0), T({-2, 0}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return clamp(x[0], -0.5, 0.5); }, {T({-0.9, -0.2, 0.1, 0.8}, {4})});
  EXPECT_EMBER_ERROR(clamp(ones({1}), 2, 1), "clamp", "exceeds");
}

TEST(MaximumMinimum, ValuesAndGrad) {
  EXPECT_ALLCLOSE(maximum(T({1, 5}, {2}), T({3, 2}, {2})), T({3, 5}, {2}));
  EXPECT_ALLCLOSE(minimum(T({1, 5}, {2}), T({3, 2}, {2})), T({1, 2}, {2}));
  EXPECT_GRADCHECK([](auto& x) { return maximum(x[0], x[1]); }, {uniform({5}), uniform({5}, -1, 1, 9)});
  EXPECT_GRADCHECK([](auto& x) { return minimum(x[0], x[1]); }, {uniform({5}), uniform({5}, -1, 1, 9)});
}

TEST(Comparison, ValuesDtypeNoGrad) {
  Tensor a = T({1, 2, 3}, {3}), b = T({2, 2, 2}, {3});
  EXPECT_EQ(lt(a, b).dtype(), kBool);
  EXPECT_EQ(lt(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(le(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(gt(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(ge(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_EQ(eq(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(ne(a, b).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_FALSE(lt(a.clone().set_requires_grad(), b).requires_grad());
  EXPECT_EQ(isfinite(T({1, INFINITY, NAN}, {3})).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));
}

TEST(Where, ValuesAndGrad) {
  Tensor c = T({1, 0, 1}, {3}).to(kBool);
  EXPECT_ALLCLOSE(where(c, T({1, 2, 3}, {3}), T({9}, {1})), T({1, 9, 3}, {3}));
  EXPECT_GRADCHECK([c](auto& x) { return where(c, x[0], x[1]); }, {uniform({2, 3}), uniform({3}, -1, 1, 2)});
  EXPECT_EMBER_ERROR(where(ones({3}), ones({3}), ones({3})), "where", "bool");
}

TEST(MaskedFill, ValuesAndGrad) {
  Tensor m = T({0, 1}, {2}).to(kBool);
  EXPECT_ALLCLOSE(masked_fill(T({1, 2, 3, 4}, {2, 2}), m, -5), T({1, -5, 3, -5}, {2, 2}));
  EXPECT_GRADCHECK([m](auto& x) { return masked_fill(x[0], m, 0.0); }, {uniform({3, 2})});
  EXPECT_EMBER_ERROR(masked_fill(ones({2}), ones({2, 2}).to(kBool), 0), "masked_fill", "[2,2]");
}

TEST(Elementwise, NonContiguousInputsMatchContiguous) {
  Tensor a = uniform({7, 5}), b = uniform({7, 5}, -1, 1, 4);
  Tensor an = noncontiguous(a), bn = noncontiguous(b);
  ASSERT_FALSE(an.is_contiguous());
  EXPECT_ALLCLOSE(mul(an, bn), mul(a, b), 0, 0);
  EXPECT_ALLCLOSE(exp(an), exp(a), 0, 0);
  EXPECT_ALLCLOSE(where(gt(an, 0.0), an, bn), where(gt(a, 0.0), a, b), 0, 0);
  EXPECT_GRADCHECK([](auto& x) { return mul(noncontiguous(x[0]), x[1].t()); }, {uniform({3, 4}), uniform({4, 3}, -1, 1, 2)});
}

TEST(Elementwise, LargeTensorsCrossThreadingThreshold) {
  set_num_threads(2);
  int64_t n = 1 << 20;  // well above the grain size
  Tensor a = arange(0.0, static_cast<double>(n), 1.0, kFloat64);
  Tensor b = mul(add(a, 1.0), 2.0);
  EXPECT_EQ(sum(b).item(), static_cast<double>(n) * (n + 1));
  Tensor bt = a.reshape({1024, 1024}).t();  // strided path, threaded
  EXPECT_EQ(sum(add(bt, bt)).item(), static_cast<double>(n) * (n - 1));
}

TEST(Elementwise, LowPrecisionDtypes) {
  Tensor x = uniform({64}, -2, 2);
  for (DType t : {kFloat16, kBFloat16}) {
    double tol = t == kFloat16 ? 2e-3 : 1.6e-2;
    EXPECT_ALLCLOSE(tanh(x.to(t)).to(kFloat64), tanh(x), tol, tol) << dtype_name(t);
    EXPECT_ALLCLOSE(mul(x.to(t), x.to(t)).to(kFloat64), mul(x, x), 2 * tol, 2 * tol) << dtype_name(t);
    EXPECT_EQ(add(x.to(t), x.to(t)).dtype(), t);
  }
  EXPECT_EQ(add(x.to(kFloat16), x.to(kBFloat16)).dtype(), kFloat32);
}

TEST(Elementwise, IntegerAndBoolArithmetic) {
  Tensor i = from_vector(std::vector<int64_t>{1, 2, 3}, {3});
  EXPECT_EQ(add(i, i).dtype(), kInt64);
  EXPECT_EQ(add(i, 1.0).dtype(), kInt64);
  EXPECT_EQ(add(i, 0.5).dtype(), kFloat32);
  EXPECT_EQ(add(i, ones({3})).dtype(), kFloat32);
  EXPECT_EQ(mul(i, i).to_vector<int64_t>(), (std::vector<int64_t>{1, 4, 9}));
  Tensor b = gt(i, 1.0);
  EXPECT_EQ(add(b, b).dtype(), kInt64);
  EXPECT_EQ(logical_and(b, logical_not(eq(i, 3.0))).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 0}));
}

TEST(Elementwise, SizeZeroAndSizeOne) {
  EXPECT_EQ(mul(zeros({0, 4}), ones({1, 4})).shape(), (Shape{0, 4}));
  EXPECT_EQ(exp(zeros({3, 0})).numel(), 0);
  EXPECT_ALLCLOSE(add(T({1}, {1, 1}), T({1, 2, 3}, {3})), T({2, 3, 4}, {1, 3}));
  EXPECT_ALLCLOSE(add(scalar_tensor(2.0, kFloat64), T({1, 2}, {2})), T({3, 4}, {2}));
}

TEST(Elementwise, DeviceMismatchAndUndefinedAreErrors) {
  EXPECT_EMBER_ERROR(add(Tensor(), ones({1})), "add", "undefined");
}
