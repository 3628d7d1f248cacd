// Backend cases for softmax / log-softmax (last and non-last dims, wide rows, masked rows) and
// the fused losses: cross-entropy with and without label smoothing in the (N,C) and (N,C,d...)
// forms, NLL, their gradients, float64 and 16-bit dtypes, and out-of-range targets raising.
#include <cstdlib>
#include <limits>
#include <string>

#include "harness/backend_cases.h"

namespace ember::test {
namespace {

/// Class targets in [0,C) of shape s on d.
Tensor targets_on(const Device& d, const Shape& s, uint64_t seed, int64_t C) {
  return input_on(Device("cpu"), s, seed, false, DType::Float32, 0, static_cast<double>(C) - 1e-3)
      .to(DType::Int64).to(d);
}

/// 1 when f raises an ember::Error whose message contains `fragment`; throws otherwise so the
/// case fails on the backend that did not raise.
Tensor raises(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
  } catch (const Error& e) {
    if (std::string(e.what()).find(fragment) != std::string::npos) return tensor({1.0});
    throw;
  }
  throw std::logic_error("expected an error containing '" + fragment + "'");
}

}  // namespace

std::vector<BackendCase> softmax_cases() {
  std::vector<BackendCase> v;
  v.push_back({"softmax_log_softmax_last_dim", [](const Device& d) {
                 Tensor x = input_on(d, {7, 13}, 201, true, DType::Float32, -3, 3);
                 return with_grads(add(softmax(x, 1), mul(log_softmax(x, -1), 0.3)), {x});
               }});
  v.push_back({"softmax_non_last_dim", [](const Device& d) {
                 Tensor x = input_on(d, {4, 9, 5}, 202, true, DType::Float32, -3, 3);
                 Tensor y = add(softmax(x, 1), log_softmax(x, 0));
                 return with_grads(add(y, softmax(x.transpose(0, 2), 2).transpose(0, 2)), {x});
               }});
  v.push_back({"softmax_wide_and_masked_rows", [](const Device& d) {
                 Tensor x = input_on(d, {3, 1000}, 203, true, DType::Float32, -40, 40);
                 Tensor mask = gt(input_on(d, {3, 1000}, 204), 0.5);
                 Tensor xm = masked_fill(x, mask, -std::numeric_limits<double>::infinity());
                 return with_grads(add(softmax(xm, 1), mul(log_softmax(x, 1), 0.01)), {x});
               }});
  v.push_back({"softmax_one_column_and_row", [](const Device& d) {
                 Tensor x = input_on(d, {6, 1}, 205, true);
                 Tensor z = input_on(d, {1, 70}, 206, true);
                 std::vector<Tensor> a = with_grads(log_softmax(x, 1), {x});
                 std::vector<Tensor> b = with_grads(softmax(z, 1), {z});
                 a.insert(a.end(), b.begin(), b.end());
                 return a;
               }});
  v.push_back({"softmax_half_bfloat16", [](const Device& d) {
                 std::vector<Tensor> out;
                 for (DType t : {DType::Float16, DType::BFloat16}) {
                   Tensor x = input_on(d, {5, 40}, 207, false, t, -4, 4);
                   out.push_back(softmax(x, 1));
                   out.push_back(log_softmax(x.t(), 1));
                 }
                 return on_cpu(out);
               }, 1e-2, 1e-2});
  v.push_back({"cross_entropy_2d", [](const Device& d) {
                 Tensor x = input_on(d, {37, 10}, 208, true, DType::Float32, -3, 3);
                 Tensor t = targets_on(d, {37}, 209, 10);
                 Tensor y = add(cross_entropy(x, t), mul(cross_entropy(x, t, 0.0, Reduction::Sum), 0.1));
                 return with_grads(add(y, cross_entropy(x, t, 0.0, Reduction::None).slice(0, 0, 1)), {x});
               }});
  v.push_back({"cross_entropy_label_smoothing", [](const Device& d) {
                 Tensor x = input_on(d, {29, 7}, 210, true, DType::Float32, -3, 3);
                 Tensor t = targets_on(d, {29}, 211, 7);
                 return with_grads(add(cross_entropy(x, t, 0.1, Reduction::None), cross_entropy(x, t, 0.25)), {x});
               }});
  v.push_back({"cross_entropy_nd_form", [](const Device& d) {
                 Tensor x = input_on(d, {3, 5, 4, 6}, 212, true, DType::Float32, -3, 3);
                 Tensor t = targets_on(d, {3, 4, 6}, 213, 5);
                 return with_grads(add(cross_entropy(x, t, 0.2, Reduction::None), cross_entropy(x, t)), {x});
               }});
  v.push_back({"cross_entropy_wide_strided", [](const Device& d) {
                 Tensor x = input_on(d, {1000, 5}, 214, true, DType::Float32, -5, 5);
                 Tensor t = targets_on(d, {5}, 215, 1000);
                 return with_grads(cross_entropy(x.t(), t, 0.05, Reduction::Sum), {x});
               }});
  v.push_back({"nll_loss_forms", [](const Device& d) {
                 Tensor x = input_on(d, {23, 9}, 216, true, DType::Float32, -3, 3);
                 Tensor t = targets_on(d, {23}, 217, 9);
                 Tensor x3 = input_on(d, {2, 4, 3}, 218, true, DType::Float32, -3, 3);
                 Tensor t3 = targets_on(d, {2, 3}, 219, 4);
                 Tensor y = add(nll_loss(log_softmax(x, 1), t, Reduction::None), nll_loss(x.t().t(), t));
                 std::vector<Tensor> a = with_grads(y, {x});
                 std::vector<Tensor> b = with_grads(nll_loss(log_softmax(x3, 1), t3, Reduction::None), {x3});
                 a.insert(a.end(), b.begin(), b.end());
                 return a;
               }});
  v.push_back({"losses_float64", [](const Device& d) {
                 Tensor x = input_on(d, {11, 6}, 220, true, DType::Float64, -3, 3);
                 Tensor t = targets_on(d, {11}, 221, 6);
                 Tensor y = add(cross_entropy(x, t, 0.1, Reduction::None),
                                nll_loss(log_softmax(x, 1), t, Reduction::None));
                 return with_grads(add(y, softmax(x, 0).slice(0, 0, 1).reshape({6}).slice(0, 0, 1)), {x});
               }, 1e-12, 1e-12});
  v.push_back({"losses_bad_target_raise", [](const Device& d) {
                 Tensor x = input_on(d, {6, 4}, 222, false, DType::Float32, -3, 3);
                 Tensor bad = from_vector(std::vector<int64_t>{0, 3, 4, 1, -1, 2}, {6}).to(d);
                 Tensor good = from_vector(std::vector<int64_t>{0, 3, 3, 1, 0, 2}, {6}).to(d);
                 Tensor a = raises([&] { cross_entropy(x, bad); }, "target 4 at index 2 is out of range [0, 4)");
                 Tensor b = raises([&] { nll_loss(x, bad, Reduction::None); }, "target 4 at index 2 is out of range");
                 return on_cpu({a, b, cross_entropy(x, good, 0.1), nll_loss(x, good)});
               }});
  // The OpenCL work-group kernels, which CPU devices such as PoCL would otherwise not run.
  v.push_back({"softmax_losses_group_kernels", [](const Device& d) {
                 ScopedEnv env("EMBER_OPENCL_ROWS", "groups");
                 Tensor x = input_on(d, {6, 700}, 223, true, DType::Float32, -4, 4);
                 Tensor t = targets_on(d, {6}, 224, 700);
                 Tensor y = add(add(softmax(x, 1), log_softmax(x.t(), 0).t()), mul(softmax(x, 0), 0.5));
                 Tensor l = add(cross_entropy(x, t, 0.1, Reduction::None), cross_entropy(x, t, 0.0, Reduction::None));
                 std::vector<Tensor> a = with_grads(add(y, l.unsqueeze(1)), {x});
                 Tensor bad = from_vector(std::vector<int64_t>{1, 2, 700, 3, 4, 5}, {6}).to(d);
                 a.push_back(raises([&] { cross_entropy(x, bad); }, "target 700 at index 2 is out of range [0, 700)"));
                 return a;
               }});
  return v;
}

}  // namespace ember::test
