// Backend cases for pooling: max (padding, stride != kernel, odd sizes, ties resolved to the
// first index, NaN), average (count_include_pad, overlapping windows) and adaptive average
// (to (1,1), (3,2) and larger than the input), values and gradients, float64 and 16-bit.
#include <cmath>

#include "harness/backend_cases.h"
#include "harness/op_harness.h"

namespace ember::test {
namespace {

Pool2dParams window(std::array<int64_t, 2> k, std::array<int64_t, 2> s, std::array<int64_t, 2> p = {0, 0}) {
  Pool2dParams r;
  r.kernel = k, r.stride = s, r.padding = p;
  return r;
}

/// Small integers 0..levels-1 (many ties within every window) as a leaf requiring grad on d.
Tensor tied_input(const Device& d, const Shape& s, uint64_t seed, int levels) {
  Tensor x = uniform(s, 0, levels, seed).to(DType::Int64).to(DType::Float32).to(d);
  x.set_requires_grad(true);
  return x;
}

BackendCase pool_case(const char* name, Shape xs, Tensor (*f)(const Tensor&), double tol = 1e-5,
                      DType t = DType::Float32) {
  return {name, [xs, f, t](const Device& d) {
            Tensor x = input_on(d, xs, 301, true, t);
            return with_grads(f(x), {x});
          }, tol, tol};
}

}  // namespace

std::vector<BackendCase> pool_cases() {
  std::vector<BackendCase> v;
  v.push_back(pool_case("max_pool_k3_s2_pad1", {2, 3, 9, 11},
                        [](const Tensor& x) { return max_pool2d(x, window({3, 3}, {2, 2}, {1, 1})); }));
  v.push_back(pool_case("max_pool_2x2_odd_sizes", {2, 3, 7, 9},
                        [](const Tensor& x) { return max_pool2d(x, window({2, 2}, {2, 2})); }));
  v.push_back(pool_case("max_pool_nonsquare_overlap", {1, 2, 8, 13},
                        [](const Tensor& x) { return max_pool2d(x, window({2, 4}, {1, 3}, {1, 2})); }));
  v.push_back({"max_pool_ties_first_index", [](const Device& d) {
                 // Overlapping windows over values in {0, 1, 2}: the gradient lands on the first
                 // maximum of each window, so a different tie rule moves it.
                 Tensor a = tied_input(d, {2, 3, 8, 9}, 311, 3), b = tied_input(d, {2, 2, 6, 6}, 312, 2);
                 std::vector<Tensor> r = with_grads(max_pool2d(a, window({3, 3}, {1, 1}, {1, 1})), {a});
                 for (const Tensor& t : with_grads(max_pool2d(b, window({2, 2}, {2, 2})), {b})) r.push_back(t);
                 return r;
               }, 0, 0});
  v.push_back({"max_pool_nan_propagates", [](const Device& d) {
                 std::vector<double> vals = uniform({1, 2, 6, 7}, -1, 1, 321).to_vector<double>();
                 for (size_t i : {3, 17, 40, 41, 70}) vals[i] = std::nan("");
                 Tensor x = from_vector(vals, {1, 2, 6, 7}).to(d);
                 x.set_requires_grad(true);
                 return with_grads(max_pool2d(x, window({3, 2}, {2, 2}, {1, 1})), {x});
               }, 0, 0});
  v.push_back(pool_case("avg_pool_k3x2_s2x1_pad1", {2, 3, 9, 8},
                        [](const Tensor& x) { return avg_pool2d(x, window({3, 2}, {2, 1}, {1, 1})); }));
  v.push_back(pool_case("avg_pool_overlap_s1", {2, 2, 7, 7},
                        [](const Tensor& x) { return avg_pool2d(x, window({3, 3}, {1, 1}, {1, 1})); }));
  v.push_back(pool_case("avg_pool_2x2_odd_sizes", {3, 2, 5, 9},
                        [](const Tensor& x) { return avg_pool2d(x, window({2, 2}, {2, 2})); }));
  v.push_back(pool_case("adaptive_avg_pool_1x1", {2, 3, 7, 5},
                        [](const Tensor& x) { return adaptive_avg_pool2d(x, {1, 1}); }));
  v.push_back(pool_case("adaptive_avg_pool_3x2", {2, 3, 7, 5},
                        [](const Tensor& x) { return adaptive_avg_pool2d(x, {3, 2}); }));
  v.push_back(pool_case("adaptive_avg_pool_upsample_9x7", {1, 2, 4, 3},
                        [](const Tensor& x) { return adaptive_avg_pool2d(x, {9, 7}); }));
  v.push_back({"pool_float64_all", [](const Device& d) {
                 Tensor x = input_on(d, {2, 2, 9, 10}, 331, true, DType::Float64);
                 Tensor y = add(add(max_pool2d(x, window({3, 3}, {2, 2}, {1, 1})),
                                    avg_pool2d(x, window({3, 3}, {2, 2}, {1, 1}))),
                                adaptive_avg_pool2d(x, {5, 5}));
                 return with_grads(y, {x});
               }, 1e-12, 1e-12});
  v.push_back({"pool_half_and_bfloat16", [](const Device& d) {
                 std::vector<Tensor> out;
                 for (DType t : {DType::Float16, DType::BFloat16}) {
                   Tensor x = input_on(d, {2, 3, 7, 8}, 341, true, t);
                   Tensor y = add(add(max_pool2d(x, window({2, 2}, {2, 2})), avg_pool2d(x, window({3, 3}, {2, 2}, {0, 1}))),
                                  adaptive_avg_pool2d(x, {3, 4}));
                   for (const Tensor& r : with_grads(y, {x})) out.push_back(r);
                 }
                 return out;
               }, 1e-2, 1e-2});
  return v;
}

}  // namespace ember::test
