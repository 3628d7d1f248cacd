// Backend cases for elementwise ops: every unary and binary op with its gradient, broadcasting,
// strided operands, integer and 16-bit dtypes, comparisons and where().
#include "harness/backend_cases.h"

namespace ember::test {
namespace {

/// A unary op's value and gradient on a (6, 33) input transposed (strided) in [lo, hi).
BackendCase unary_case(const char* name, Tensor (*f)(const Tensor&), double lo = -2, double hi = 2) {
  return {name, [f, lo, hi](const Device& d) {
            Tensor x = input_on(d, {6, 33}, 11, true, DType::Float32, lo, hi);
            return with_grads(f(x.t()), {x});
          }};
}

/// A binary op's value and gradients with broadcasting (4,1,5) x (3,5).
BackendCase binary_case(const char* name, Tensor (*f)(const Tensor&, const Tensor&), double lo = -2, double hi = 2) {
  return {name, [f, lo, hi](const Device& d) {
            Tensor a = input_on(d, {4, 1, 5}, 21, true, DType::Float32, lo, hi);
            Tensor b = input_on(d, {3, 5}, 22, true, DType::Float32, lo, hi);
            return with_grads(f(a, b), {a, b});
          }};
}

}  // namespace

std::vector<BackendCase> elementwise_cases() {
  std::vector<BackendCase> v;
  v.push_back(unary_case("neg", [](const Tensor& x) { return neg(x); }));
  v.push_back(unary_case("exp", [](const Tensor& x) { return exp(x); }));
  v.push_back(unary_case("log", [](const Tensor& x) { return log(x); }, 0.1, 3));
  v.push_back(unary_case("sqrt", [](const Tensor& x) { return sqrt(x); }, 0.1, 3));
  v.push_back(unary_case("abs_sign_square", [](const Tensor& x) { return add(mul(abs(x), sign(x)), square(x)); }));
  v.push_back(unary_case("tanh", [](const Tensor& x) { return tanh(x); }));
  v.push_back(unary_case("sigmoid", [](const Tensor& x) { return sigmoid(x); }));
  v.push_back(unary_case("relu", [](const Tensor& x) { return relu(x); }));
  v.push_back(unary_case("gelu", [](const Tensor& x) { return gelu(x); }));
  v.push_back(unary_case("leaky_relu", [](const Tensor& x) { return add(leaky_relu(x), leaky_relu(x, 0.2)); }));
  v.push_back(unary_case("clamp", [](const Tensor& x) { return add(clamp(x, -0.5, 0.7), clamp_min(x, 0.2)); }));
  v.push_back(unary_case("reciprocal_pow", [](const Tensor& x) { return add(reciprocal(x), pow(x, 2.5)); }, 0.2, 2));
  v.push_back(binary_case("add_broadcast", [](const Tensor& a, const Tensor& b) { return add(a, b); }));
  v.push_back(binary_case("sub_broadcast", [](const Tensor& a, const Tensor& b) { return sub(a, b); }));
  v.push_back(binary_case("mul_broadcast", [](const Tensor& a, const Tensor& b) { return mul(a, b); }));
  v.push_back(binary_case("div_broadcast", [](const Tensor& a, const Tensor& b) { return div(a, b); }, 0.5, 2));
  v.push_back(binary_case("pow_tensor", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, 0.5, 2));
  v.push_back(binary_case("maximum_minimum", [](const Tensor& a, const Tensor& b) {
    return add(maximum(a, b), mul(minimum(a, b), 0.5));
  }));
  v.push_back({"compare_and_where", [](const Device& d) {
                 Tensor a = input_on(d, {5, 7}, 31), b = input_on(d, {7}, 32);
                 Tensor w = where(gt(a, b), a, mul(b, 2.0));
                 return on_cpu({eq(a, a), ne(a, b), lt(a, b), le(a, b), gt(a, b), ge(a, b),
                                logical_and(gt(a, 0.0), lt(b, 0.0)), logical_or(gt(a, 0.0), lt(b, 0.0)),
                                logical_not(gt(a, 0.0)), w, masked_fill(a, lt(a, b), -1.0), isfinite(div(a, b))});
               }, 0, 0});
  v.push_back({"integer_ops", [](const Device& d) {
                 Tensor a = input_on(d, {4, 6}, 41, false, DType::Float32, -20, 20).to(DType::Int64);
                 Tensor b = input_on(d, {6}, 42, false, DType::Float32, 1, 5).to(DType::Int64);
                 Tensor i32 = a.to(DType::Int32);
                 return on_cpu({add(a, b), mul(a, b), sub(a, b), maximum(a, b), neg(a), abs(a), clamp(a, -3, 4),
                                add(i32, i32), sign(i32), pow(b, b)});
               }, 0, 0});
  v.push_back({"half_and_bfloat16", [](const Device& d) {
                 std::vector<Tensor> out;
                 for (DType t : {DType::Float16, DType::BFloat16}) {
                   Tensor a = input_on(d, {9, 10}, 51, false, t), b = input_on(d, {10}, 52, false, t);
                   out.push_back(add(mul(a, b), exp(a)));
                   out.push_back(relu(a.t()));
                 }
                 return on_cpu(out);
               }, 1e-2, 1e-2});
  v.push_back({"float64_ops", [](const Device& d) {
                 Tensor a = input_on(d, {5, 5}, 61, true, DType::Float64), b = input_on(d, {5}, 62, true, DType::Float64);
                 return with_grads(mul(tanh(a), exp(b)), {a, b});
               }, 1e-12, 1e-12});
  return v;
}

}  // namespace ember::test
