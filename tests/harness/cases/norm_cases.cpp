// Backend cases for batch norm (training with running-stat updates and eval, 2-D and 4-D,
// with and without affine parameters, strided inputs) and layer norm (with and without affine,
// one or several normalised dims, wide rows), with gradients; float64 and 16-bit dtypes.
#include <cstdlib>
#include <string>

#include "harness/backend_cases.h"

namespace ember::test {
namespace {

/// batch_norm on x (N,C,...) with affine parameters and running stats: the output and the
/// gradients of x, weight and bias, then the updated running stats.
std::vector<Tensor> bn_case(const Device& d, const Shape& s, uint64_t seed, bool training, DType t = DType::Float32) {
  const int64_t C = s[1];
  Tensor x = input_on(d, s, seed, true, t, -2, 3);
  Tensor w = input_on(d, {C}, seed + 1, true, t, 0.5, 1.5), b = input_on(d, {C}, seed + 2, true, t);
  Tensor rm = input_on(d, {C}, seed + 3, false, t), rv = input_on(d, {C}, seed + 4, false, t, 0.5, 2);
  std::vector<Tensor> out = with_grads(batch_norm(x, rm, rv, w, b, training, 0.1, 1e-5), {x, w, b});
  out.push_back(rm.to(Device("cpu")));
  out.push_back(rv.to(Device("cpu")));
  return out;
}

}  // namespace

std::vector<BackendCase> norm_cases() {
  std::vector<BackendCase> v;
  v.push_back({"batch_norm_2d_train", [](const Device& d) { return bn_case(d, {16, 5}, 301, true); }, 1e-4, 1e-4});
  v.push_back({"batch_norm_4d_train", [](const Device& d) { return bn_case(d, {4, 3, 7, 9}, 302, true); }, 1e-4, 1e-4});
  v.push_back({"batch_norm_4d_eval", [](const Device& d) { return bn_case(d, {4, 3, 7, 9}, 303, false); }, 1e-4, 1e-4});
  v.push_back({"batch_norm_2d_eval", [](const Device& d) { return bn_case(d, {9, 70}, 304, false); }, 1e-4, 1e-4});
  v.push_back({"batch_norm_lenet_sized", [](const Device& d) { return bn_case(d, {64, 6, 24, 24}, 305, true); },
               1e-3, 1e-4});
  v.push_back({"batch_norm_strided_no_affine", [](const Device& d) {
                 Tensor x = input_on(d, {5, 6, 7, 4}, 306, true, DType::Float32, -1, 2);
                 Tensor xs = x.permute({0, 3, 1, 2});  // (5,4,6,7) channels-last storage
                 Tensor y = add(batch_norm(xs, Tensor(), Tensor(), Tensor(), Tensor(), true),
                                mul(batch_norm(xs, Tensor(), Tensor(), Tensor(), Tensor(), false), 0.5));
                 return with_grads(y, {x});
               }, 1e-4, 1e-4});
  v.push_back({"layer_norm_affine", [](const Device& d) {
                 Tensor x = input_on(d, {6, 10, 32}, 307, true, DType::Float32, -2, 3);
                 Tensor w = input_on(d, {32}, 308, true), b = input_on(d, {32}, 309, true);
                 Tensor w2 = input_on(d, {10, 32}, 310, true);
                 Tensor y = add(layer_norm(x, {32}, w, b), layer_norm(x, {10, 32}, w2));
                 return with_grads(y, {x, w, b, w2});
               }, 1e-4, 1e-4});
  v.push_back({"layer_norm_no_affine_strided", [](const Device& d) {
                 Tensor x = input_on(d, {40, 7}, 311, true, DType::Float32, -1, 1);
                 Tensor y = add(layer_norm(x.t(), {40}), layer_norm(x, {7}).t());
                 return with_grads(y, {x});
               }, 1e-4, 1e-4});
  v.push_back({"layer_norm_wide_rows", [](const Device& d) {
                 Tensor x = input_on(d, {3, 1000}, 312, true, DType::Float32, -2, 3);
                 Tensor b = input_on(d, {1000}, 313, true);
                 return with_grads(layer_norm(x, {1000}, Tensor(), b, 1e-3), {x, b});
               }, 1e-4, 1e-4});
  v.push_back({"norms_float64", [](const Device& d) {
                 std::vector<Tensor> out = bn_case(d, {6, 4, 5}, 314, true, DType::Float64);
                 Tensor x = input_on(d, {9, 13}, 315, true, DType::Float64);
                 Tensor w = input_on(d, {13}, 316, true, DType::Float64);
                 Tensor b = input_on(d, {13}, 317, true, DType::Float64);
                 std::vector<Tensor> ln = with_grads(layer_norm(x, {13}, w, b), {x, w, b});
                 out.insert(out.end(), ln.begin(), ln.end());
                 return out;
               }, 1e-10, 1e-10});
  v.push_back({"norms_half_bfloat16", [](const Device& d) {
                 std::vector<Tensor> out;
                 for (DType t : {DType::Float16, DType::BFloat16}) {
                   Tensor x = input_on(d, {8, 3, 5}, 318, false, t, -2, 2);
                   Tensor w = input_on(d, {3}, 319, false, t), ln_w = input_on(d, {5}, 320, false, t);
                   out.push_back(batch_norm(x, Tensor(), Tensor(), w, Tensor(), true));
                   out.push_back(layer_norm(x, {5}, ln_w));
                 }
                 return on_cpu(out);
               }, 2e-2, 2e-2});
  // The OpenCL work-group layer-norm kernels, which CPU devices such as PoCL would otherwise not run.
  v.push_back({"layer_norm_group_kernels", [](const Device& d) {
                 ScopedEnv env("EMBER_OPENCL_ROWS", "groups");
                 Tensor x = input_on(d, {5, 300}, 321, true, DType::Float32, -2, 3);
                 Tensor w = input_on(d, {300}, 322, true), b = input_on(d, {300}, 323, true);
                 Tensor y = add(layer_norm(x, {300}, w, b), layer_norm(x.t(), {5}).t());
                 return with_grads(y, {x, w, b});
               }, 1e-4, 1e-4});
  return v;
}

}  // namespace ember::test
