// Backend cases for scaled_dot_product_attention (non-causal with L != S, causal square and
// top-left L != S, explicit scale, dropout seeded from the host generator, wide rows, float64)
// and one MultiheadAttention forward/backward (input and parameter gradients).
#include "harness/backend_cases.h"

namespace ember::test {
namespace {

/// {out, dq, dk, dv} of sdpa on q (B, H, L, E), k (B, H, S, E), v (B, H, S, Ev) seeded inputs.
std::vector<Tensor> sdpa_case(const Device& d, Shape lead, int64_t L, int64_t S, int64_t E, int64_t Ev, bool causal,
                              double dropout_p, double scale, uint64_t seed, DType t = DType::Float32) {
  auto with = [&](int64_t a, int64_t b) {
    Shape s = lead;
    s.insert(s.end(), {a, b});
    return s;
  };
  Tensor q = input_on(d, with(L, E), seed, true, t, -2, 2);
  Tensor k = input_on(d, with(S, E), seed + 1, true, t, -2, 2);
  Tensor v = input_on(d, with(S, Ev), seed + 2, true, t);
  manual_seed(seed);  // the dropout stream: one seed on every backend
  return with_grads(scaled_dot_product_attention(q, k, v, causal, dropout_p, scale), {q, k, v});
}

}  // namespace

std::vector<BackendCase> attention_cases() {
  std::vector<BackendCase> v;
  v.push_back({"attention_non_causal", [](const Device& d) {
                 return sdpa_case(d, {2, 3}, 5, 7, 8, 6, false, 0.0, 0.0, 300);
               }});
  v.push_back({"attention_causal", [](const Device& d) {
                 std::vector<Tensor> a = sdpa_case(d, {2, 2}, 9, 9, 4, 4, true, 0.0, 0.0, 310);
                 std::vector<Tensor> b = sdpa_case(d, {3}, 6, 11, 5, 3, true, 0.0, 0.8, 320);  // top-left
                 std::vector<Tensor> c = sdpa_case(d, {2}, 7, 3, 4, 2, true, 0.0, 0.0, 330);   // L > S
                 a.insert(a.end(), b.begin(), b.end());
                 a.insert(a.end(), c.begin(), c.end());
                 return a;
               }});
  v.push_back({"attention_dropout", [](const Device& d) {
                 std::vector<Tensor> a = sdpa_case(d, {2, 2}, 8, 8, 4, 5, true, 0.3, 0.0, 340);
                 std::vector<Tensor> b = sdpa_case(d, {3}, 5, 9, 4, 5, false, 0.5, 0.0, 350);
                 a.insert(a.end(), b.begin(), b.end());
                 return a;
               }});
  v.push_back({"attention_wide_rows", [](const Device& d) {
                 return sdpa_case(d, {2}, 40, 300, 16, 8, true, 0.1, 0.0, 360);
               }});
  // The OpenCL work-group kernels, which CPU devices such as PoCL would otherwise not run.
  v.push_back({"attention_group_kernels", [](const Device& d) {
                 ScopedEnv env("EMBER_OPENCL_ROWS", "groups");
                 std::vector<Tensor> a = sdpa_case(d, {2}, 10, 300, 8, 4, true, 0.2, 0.0, 390);
                 std::vector<Tensor> b = sdpa_case(d, {3}, 5, 7, 4, 3, false, 0.0, 0.0, 395);
                 a.insert(a.end(), b.begin(), b.end());
                 return a;
               }});
  v.push_back({"attention_float64", [](const Device& d) {
                 return sdpa_case(d, {2, 2}, 6, 7, 3, 4, true, 0.2, 0.0, 370, DType::Float64);
               }, 1e-12, 1e-12});
  v.push_back({"multihead_attention_forward_backward", [](const Device& d) {
                 manual_seed(380);
                 nn::MultiheadAttention m(12, 3, 0.0, true, true);
                 m.to(d);
                 Tensor x = input_on(d, {2, 6, 12}, 381, true);
                 Tensor kv = input_on(d, {2, 4, 12}, 382, true);
                 Tensor y = add(sum(m.forward(x, x, x, true)), sum(m.forward(x, kv, kv, false)));
                 y.backward();
                 std::vector<Tensor> out{y, x.grad(), kv.grad()};
                 for (const Tensor& p : m.parameters()) out.push_back(p.grad());
                 return on_cpu(out);
               }});
  return v;
}

}  // namespace ember::test
