// Backend cases for reductions: sum/mean over one, several and all dims of strided inputs,
// blocks large enough to split over work-groups and many small rows, max/min with indices
// (ties, NaN), any/all, var, integer and 16-bit dtypes, float64.
#include <cmath>
#include <cstdlib>
#include <string>

#include "harness/backend_cases.h"
#include "harness/op_harness.h"

namespace ember::test {
namespace {

/// Values in {0,...,k-1} (many ties) of shape s on d, with NaN at the flat positions nan_at.
Tensor ties_on(const Device& d, const Shape& s, uint64_t seed, int k, const std::vector<int64_t>& nan_at = {},
               DType t = DType::Float32) {
  std::vector<double> v = uniform(s, 0, k, seed).to_vector<double>();
  for (double& x : v) x = std::floor(x);
  for (int64_t i : nan_at) v[static_cast<size_t>(i)] = std::nan("");
  return from_vector(v, s).to(t).to(d);
}

/// Sums with the OpenCL backend forced onto its work-group kernels (which CPU devices such as
/// PoCL would otherwise not run): one group per row, and rows split over several groups.
std::vector<Tensor> grouped_sums(const Device& d) {
  ScopedEnv env("EMBER_OPENCL_ROWS", "groups");
  Tensor a = input_on(d, {7, 3000}, 130), b = input_on(d, {2, 70000}, 131), c = input_on(d, {64, 3, 9, 70}, 132);
  return on_cpu({sum(a, {1}), sum(a.t(), {0}), sum(b, {1}), sum(b), mean(a, {0}), sum(c, {0, 2, 3}), sum(c)});
}

/// Max/min (values and first indices, NaN) and any/all on the work-group kernels.
std::vector<Tensor> grouped_extrema(const Device& d) {
  ScopedEnv env("EMBER_OPENCL_ROWS", "groups");
  Tensor c = ties_on(d, {5, 40000}, 133, 7, {3 * 40000 + 39000});
  Tensor e = ties_on(d, {300, 90}, 134, 4, {2 * 90 + 50});
  ValuesIndices mc = max(c, 1), me = max(e.t(), 1), me2 = max(e, 1);
  Tensor z = zeros({50000}, TensorOptions().with_device(d));
  return on_cpu({mc.values, mc.indices, me.values, me.indices, me2.values, me2.indices, min(c), max(c.slice(0, 0, 3)),
                 any(z), all(gt(c, -1.0)), any(gt(e, 2.0)), all(gt(e.t(), 0.0))});
}

}  // namespace

std::vector<BackendCase> reduce_cases() {
  std::vector<BackendCase> v;
  v.push_back({"sum_one_dim", [](const Device& d) {
                 Tensor x = input_on(d, {5, 37}, 101, true);
                 return with_grads(add(sum(x, {1}, true), sum(x.t(), {1}).unsqueeze(0).slice(1, 0, 1)), {x});
               }});
  v.push_back({"sum_mean_several_dims", [](const Device& d) {
                 Tensor x = input_on(d, {4, 6, 9}, 102, true);
                 Tensor y = add(sum(x, {0, 2}), mean(x.permute({2, 0, 1}), {0, 1}, false).slice(0, 0, 6, 1));
                 return with_grads(y, {x});
               }});
  v.push_back({"sum_mean_all_transposed", [](const Device& d) {
                 Tensor x = input_on(d, {33, 17}, 103, true);
                 return with_grads(add(sum(x.t()), mul(mean(x.t().slice(0, 1, 17, 2)), 3.0)), {x});
               }});
  v.push_back({"sum_large_block", [](const Device& d) {
                 Tensor a = input_on(d, {100000}, 104);
                 Tensor b = input_on(d, {3, 50000}, 105);
                 Tensor c = input_on(d, {40000, 2}, 106);
                 return on_cpu({sum(a), mean(a), sum(b, {1}), sum(c.t(), {1}), sum(c, {0, 1})});
               }, 1e-4, 1e-4});
  v.push_back({"sum_many_small_rows", [](const Device& d) {
                 Tensor a = input_on(d, {10000, 7}, 107), b = input_on(d, {9000, 300}, 108);
                 Tensor c = input_on(d, {300, 9000}, 109), e = input_on(d, {64, 1, 5}, 110);
                 return on_cpu({sum(a, {1}), sum(b, {1}), sum(c, {0}), mean(e, {1, 2}), sum(e, {1})});
               }});
  v.push_back({"sum_bias_grad_pattern", [](const Device& d) {
                 Tensor x = input_on(d, {64, 3, 9, 70}, 123, true);  // blocks split mid-dim into chunks
                 return with_grads(add(sum(x, {0, 2, 3}), mean(x.permute({3, 1, 0, 2}), {0, 2, 3})), {x});
               }, 1e-4, 1e-4});
  v.push_back({"reduce_group_kernels_sums", grouped_sums, 1e-4, 1e-4});
  v.push_back({"reduce_group_kernels_extrema", grouped_extrema, 0, 0});
  v.push_back({"sum_medium_rows_grads", [](const Device& d) {
                 Tensor x = input_on(d, {7, 3000}, 111, true);
                 return with_grads(add(sum(x, {1}), sum(x.slice(1, 0, 7), {1})), {x});
               }});
  v.push_back({"max_min_indices_ties_nan", [](const Device& d) {
                 Tensor a = ties_on(d, {6, 50}, 112, 5, {3 * 50 + 17, 3 * 50 + 40, 5 * 50 + 0});
                 Tensor b = ties_on(d, {4, 70000}, 113, 10, {2 * 70000 + 65000});
                 Tensor c = ties_on(d, {300, 9}, 114, 3);
                 ValuesIndices ma = max(a, 1), mat = max(a.t(), 0), mb = max(b, 1), mc = max(c.t(), 1, true);
                 return on_cpu({ma.values, ma.indices, mat.values, mat.indices, mb.values, mb.indices, mc.values,
                                mc.indices, argmax(c, 0), max(a), min(a.slice(0, 0, 3)), min(b), max(c), min(c)});
               }, 0, 0});
  v.push_back({"max_min_grads", [](const Device& d) {
                 Tensor x = input_on(d, {9, 130}, 115, true);
                 Tensor y = add(max(x, 1).values, max(x.t(), 1).values.slice(0, 0, 9));
                 return with_grads(add(add(y, max(x)), min(x)), {x});
               }});
  v.push_back({"any_all", [](const Device& d) {
                 Tensor x = input_on(d, {100, 30}, 116);
                 Tensor z = zeros({100000}, TensorOptions().with_device(d));
                 Tensor one = zeros({100000}, TensorOptions().with_device(d));
                 one.slice(0, 77777, 77778).fill_(2.0);
                 Tensor i = input_on(d, {50}, 117, false, DType::Float32, -3, 3).to(DType::Int32);
                 return on_cpu({any(gt(x, 0.99)), all(gt(x, -1.0)), all(gt(x.t(), -0.99)), any(z), all(z), any(one),
                                all(logical_not(eq(one, 5.0))), any(i), all(i), any(gt(x, 2.0)),
                                all(logical_not(lt(x, -1.0)))});
               }, 0, 0});
  v.push_back({"var_with_grads", [](const Device& d) {
                 Tensor x = input_on(d, {8, 45}, 118, true);
                 Tensor y = add(var(x, {1}), mul(var(x.t(), {1}, 0).slice(0, 0, 8), 0.5));
                 return with_grads(add(y, var(x)), {x});
               }});
  v.push_back({"integer_sums", [](const Device& d) {
                 Tensor a = input_on(d, {40, 33}, 119, false, DType::Float32, -50, 50).to(DType::Int64);
                 Tensor b = a.to(DType::Int32);
                 Tensor u = input_on(d, {70}, 120, false, DType::Float32, 0, 200).to(DType::UInt8);
                 return on_cpu({sum(a), sum(a.t(), {1}), sum(b, {0}), sum(u), sum(gt(a, 0)), max(a, 1).indices,
                                max(b.t(), 1).values, max(u), min(b)});
               }, 0, 0});
  v.push_back({"half_bfloat16_reductions", [](const Device& d) {
                 std::vector<Tensor> out;
                 for (DType t : {DType::Float16, DType::BFloat16}) {
                   Tensor x = input_on(d, {12, 700}, 121, false, t);
                   out.push_back(sum(x, {1}));
                   out.push_back(sum(x.t(), {1}));
                   ValuesIndices m = max(x, 1);
                   out.push_back(m.values);
                   out.push_back(m.indices);
                   out.push_back(mean(x));
                 }
                 return on_cpu(out);
               }, 1e-2, 1e-2});
  v.push_back({"float64_reductions", [](const Device& d) {
                 Tensor x = input_on(d, {6, 3000}, 122, true, DType::Float64);
                 Tensor y = add(add(sum(x, {1}), var(x.t(), {0})), max(x, 1).values);
                 return with_grads(add(y, mean(x)), {x});
               }, 1e-12, 1e-12});
  return v;
}

}  // namespace ember::test
