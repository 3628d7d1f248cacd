// Backend cases for the matmul family: matmul (2-D, batched with broadcasting, transposed,
// matrix-vector, K = 0), linear with bias, float64 and 16-bit dtypes, and direct calls of the
// matmul kernel with layouts the ops never produce (strided operands, column-major and
// strided outputs, alpha/beta, unmergeable batch dims) so every path of a backend is compared.
#include <cmath>

#include "core/kernels/matmul.h"
#include "core/tensor_impl.h"
#include "harness/backend_cases.h"
#include "ops/dispatch.h"

namespace ember::test {
namespace {

/// c = alpha * a b + beta * c + bias through device d's matmul kernel (the CPU fallback when
/// the device lacks it). c is modified in place.
void call_matmul_kernel(const Device& d, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor* bias,
                        double alpha, double beta) {
  TensorArg ba = bias ? arg_of(*bias) : TensorArg{};
  ops::kernel<kernels::MatmulKernel>(d, kernels::kMatmul)(arg_of(a), arg_of(b), arg_of(c), bias ? &ba : nullptr,
                                                          alpha, beta);
}

/// A rank-2 x rank-2 product's value and gradients, with f shaping the operands first.
BackendCase product_case(const char* name, Shape sa, Shape sb, Tensor (*f)(const Tensor&, const Tensor&),
                         double tol = 1e-4) {
  return {name, [sa, sb, f](const Device& d) {
            Tensor a = input_on(d, sa, 101, true), b = input_on(d, sb, 102, true);
            return with_grads(f(a, b), {a, b});
          }, tol, tol};
}

}  // namespace

std::vector<BackendCase> matmul_cases() {
  std::vector<BackendCase> v;
  v.push_back(product_case("matmul_2d_odd_17x33x9", {17, 33}, {33, 9},
                           [](const Tensor& a, const Tensor& b) { return matmul(a, b); }));
  v.push_back(product_case("matmul_batched_broadcast", {3, 1, 5, 7}, {4, 7, 6},
                           [](const Tensor& a, const Tensor& b) { return matmul(a, b); }));
  v.push_back(product_case("matmul_transposed_operands", {33, 17}, {9, 33},
                           [](const Tensor& a, const Tensor& b) { return matmul(a.t(), b.t()); }));
  v.push_back(product_case("matmul_batched_transposed", {4, 6, 5}, {4, 7, 6}, [](const Tensor& a, const Tensor& b) {
    return matmul(a.transpose(1, 2), b.transpose(1, 2));  // (4,5,6) x (4,6,7)
  }));
  v.push_back(product_case("matmul_folded_4d_by_2d", {2, 3, 5, 7}, {7, 4},
                           [](const Tensor& a, const Tensor& b) { return matmul(a, b); }));
  v.push_back({"matmul_long_k_small_output", [](const Device& d) {
                 // K = 9000 with a 6x5 result: a backend may split K (here with a transposed a).
                 Tensor a = input_on(d, {9000, 6}, 105, true), b = input_on(d, {9000, 5}, 106, true);
                 return with_grads(matmul(a.t(), b), {a, b});
               }, 1e-4, 2e-3});
  v.push_back({"matmul_vector_products", [](const Device& d) {
                 Tensor m = input_on(d, {9, 13}, 111, true), x = input_on(d, {13}, 112, true);
                 Tensor y = input_on(d, {9}, 113, true);
                 // matrix-vector, vector-matrix and dot, summed into one differentiable result
                 Tensor mv = matmul(m, x), vm = matmul(y, m), dot = matmul(x, x);
                 Tensor out = add(add(mv, mul(sum(vm), 0.5)), dot);
                 return with_grads(out, {m, x, y});
               }, 1e-4, 1e-4});
  v.push_back({"matmul_inner_dim_zero", [](const Device& d) {
                 Tensor a = zeros({4, 0}).to(d), b = zeros({0, 3}).to(d);
                 Tensor w = input_on(d, {3, 5}, 121);
                 return on_cpu({matmul(a, b), linear(zeros({2, 0}).to(d), zeros({5, 0}).to(d), input_on(d, {5}, 122)),
                                matmul(matmul(a, b), w)});
               }, 0, 0});
  v.push_back({"linear_bias_grads", [](const Device& d) {
                 Tensor x = input_on(d, {10, 20}, 131, true), w = input_on(d, {7, 20}, 132, true);
                 Tensor b = input_on(d, {7}, 133, true);
                 return with_grads(linear(x, w, b), {x, w, b});
               }, 1e-4, 1e-4});
  v.push_back({"linear_3d_input_lenet_sizes", [](const Device& d) {
                 Tensor x = input_on(d, {2, 32, 400}, 141, true), w = input_on(d, {120, 400}, 142, true, DType::Float32, -0.05, 0.05);
                 Tensor b = input_on(d, {120}, 143, true);
                 return with_grads(linear(x, w, b), {x, w, b});
               }, 1e-4, 1e-3});
  v.push_back({"matmul_float64_batched", [](const Device& d) {
                 Tensor a = input_on(d, {2, 3, 11, 6}, 151, true, DType::Float64);
                 Tensor b = input_on(d, {3, 6, 10}, 152, true, DType::Float64);
                 Tensor x = input_on(d, {4, 6}, 153, true, DType::Float64), w = input_on(d, {5, 6}, 154, true, DType::Float64);
                 Tensor bias = input_on(d, {5}, 155, true, DType::Float64);
                 std::vector<Tensor> r = with_grads(matmul(a, b), {a, b});
                 for (const Tensor& t : with_grads(linear(x, w, bias), {x, w, bias})) r.push_back(t);
                 return r;
               }, 1e-12, 1e-12});
  v.push_back({"matmul_half_and_bfloat16", [](const Device& d) {
                 std::vector<Tensor> out;
                 for (DType t : {DType::Float16, DType::BFloat16}) {
                   Tensor a = input_on(d, {2, 9, 14}, 161, false, t), b = input_on(d, {14, 5}, 162, false, t);
                   Tensor w = input_on(d, {6, 14}, 163, false, t), bias = input_on(d, {6}, 164, false, t);
                   out.push_back(matmul(a, b));
                   out.push_back(linear(a, w, bias));
                   // through the kernel: a transposed, b broadcast over the batch, beta = 1
                   Tensor h = input_on(d, {3, 4, 5}, 165, false, t).transpose(1, 2);  // (3,5,4)
                   Tensor hb = input_on(d, {4, 2}, 166, false, t).unsqueeze(0).expand({3, 4, 2});
                   Tensor hc = input_on(d, {3, 5, 2}, 167, false, t);
                   call_matmul_kernel(d, h, hb, hc, nullptr, 1.0, 1.0);
                   out.push_back(hc);
                 }
                 return on_cpu(out);
               }, 1e-2, 1e-2});
  v.push_back({"matmul_kernel_awkward_layouts", [](const Device& d) {
                 // a (7, 5) read with column step 2 (neither row- nor column-major), b transposed,
                 // c column-major, alpha/beta, bias with stride 3.
                 Tensor a = input_on(d, {7, 10}, 171).slice(1, 0, 10, 2);
                 Tensor b = input_on(d, {6, 5}, 172).t();
                 Tensor c = input_on(d, {6, 7}, 173).t();  // (7, 6) with strides (1, 7)
                 Tensor bias = input_on(d, {18}, 174).slice(0, 0, 18, 3);
                 call_matmul_kernel(d, a, b, c, &bias, 0.5, 2.0);
                 // c strided in both dims (an every-other-element view of a larger buffer), beta = 0
                 // (c holds NaN that must not be read).
                 Tensor big = full({10, 14}, std::nan("")).to(d);
                 Tensor c2 = big.slice(0, 0, 10, 2).slice(1, 0, 14, 2);  // (5, 7) with strides (28, 2)
                 call_matmul_kernel(d, input_on(d, {5, 4}, 175), input_on(d, {4, 7}, 176), c2, nullptr, 1.0, 0.0);
                 return on_cpu({c, big});
               }, 1e-4, 1e-4});
  v.push_back({"matmul_kernel_batch_offsets_and_k0", [](const Device& d) {
                 // Batch dims (2, 3) that do not merge (b broadcast on the first, a permuted), so a
                 // backend needs per-matrix offsets; then K = 0 with beta and bias.
                 Tensor a = input_on(d, {3, 2, 4, 5}, 181).permute({1, 0, 2, 3});          // (2,3,4,5)
                 Tensor b = input_on(d, {1, 3, 5, 6}, 182).expand({2, 3, 5, 6});
                 Tensor c = input_on(d, {2, 3, 4, 6}, 183);
                 Tensor bias = input_on(d, {6}, 184);
                 call_matmul_kernel(d, a, b, c, &bias, -1.5, 0.25);
                 Tensor c0 = input_on(d, {2, 4, 6}, 185);
                 call_matmul_kernel(d, zeros({2, 4, 0}).to(d), zeros({2, 0, 6}).to(d), c0, &bias, 1.0, 3.0);
                 return on_cpu({c, c0});
               }, 1e-4, 1e-4});
  return v;
}

}  // namespace ember::test
