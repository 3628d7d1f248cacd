// MultiheadAttention and scaled_dot_product_attention against PyTorch fixtures
// (tests/nn/fixtures/make_attention_fixtures.py: outputs and the gradients of sum(out * w) for
// every input and weight, float32 within 1e-5 relative), the module's float64 finite-difference
// gradients, its parameters, initialisation and layouts, and its error messages.
#include <cmath>
#include <string>

#include "harness/module_gradcheck.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::test;

namespace {

std::map<std::string, Tensor> fixture(const std::string& name) {
  return io::load_safetensors(std::string(EMBER_TEST_SOURCE_DIR) + "/nn/fixtures/" + name + ".safetensors").tensors;
}

Tensor leaf(const Tensor& t) {
  Tensor x = t.to(kFloat32).detach();
  x.set_requires_grad(true);
  return x;
}

/// float32 results against the float64 reference: 1e-5 relative (atol for the entries near 0).
void expect_matches(const Tensor& actual, const Tensor& expected, const std::string& what) {
  EXPECT_ALLCLOSE(actual.to(kFloat64), expected.to(kFloat64), 1e-5, 1e-6) << what;
}

}  // namespace

class AttentionFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(AttentionFixture, SdpaMatchesPyTorch) {
  auto f = fixture(GetParam());
  Tensor q = leaf(f["q"]), k = leaf(f["k"]), v = leaf(f["v"]);
  const bool causal = f["causal"].item() != 0.0;
  Tensor out = scaled_dot_product_attention(q, k, v, causal, 0.0, f["scale"].item());
  expect_matches(out, f["out"], "out");
  sum(mul(out, f["w"])).backward();
  expect_matches(q.grad(), f["grad.q"], "grad q");
  expect_matches(k.grad(), f["grad.k"], "grad k");
  expect_matches(v.grad(), f["grad.v"], "grad v");
}

INSTANTIATE_TEST_SUITE_P(PyTorch, AttentionFixture,
                         ::testing::Values("sdpa_noncausal", "sdpa_noncausal_scale", "sdpa_causal",
                                           "sdpa_causal_top_left"));

class MhaFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(MhaFixture, ModuleMatchesPyTorch) {
  auto f = fixture(GetParam());
  const double* c = f["config"].data_ptr<double>();
  const int64_t E = static_cast<int64_t>(c[0]), H = static_cast<int64_t>(c[1]);
  const bool batch_first = c[2] != 0.0, causal = c[3] != 0.0, self = c[4] != 0.0;
  nn::MultiheadAttention m(E, H, 0.0, true, batch_first);
  std::map<std::string, Tensor> state;
  for (auto& [name, t] : f)
    if (name.rfind("param.", 0) == 0) state[name.substr(6)] = t;
  m.load_state_dict(state);  // strict: the names and shapes are PyTorch's
  Tensor q = leaf(f["query"]);
  Tensor k = self ? q : leaf(f["key"]), v = self ? q : leaf(f["value"]);
  Tensor out = m.forward(q, k, v, causal);
  expect_matches(out, f["out"], "out");
  sum(mul(out, f["w"])).backward();
  expect_matches(q.grad(), f["grad.query"], "grad query");
  if (!self) {
    expect_matches(k.grad(), f["grad.key"], "grad key");
    expect_matches(v.grad(), f["grad.value"], "grad value");
  }
  for (auto& [name, p] : m.named_parameters()) expect_matches(p.grad(), f["grad.param." + name], "grad " + name);
}

INSTANTIATE_TEST_SUITE_P(PyTorch, MhaFixture,
                         ::testing::Values("mha_batch_first_causal_self", "mha_seq_first_cross", "mha_seq_first_self"));

TEST(MultiheadAttention, ParametersAndInitAsPyTorch) {
  manual_seed(3);
  nn::MultiheadAttention m(16, 4);
  std::vector<std::string> names;
  for (auto& [name, p] : m.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(m.in_proj_weight().shape(), (Shape{48, 16}));
  EXPECT_EQ(m.out_proj().weight().shape(), (Shape{16, 16}));
  EXPECT_EQ(m.head_dim(), 4);
  // xavier_uniform: bound sqrt(6 / (fan_in + fan_out)) = sqrt(6 / 64).
  const double bound = std::sqrt(6.0 / 64.0);
  EXPECT_LE(max(abs(m.in_proj_weight())).item(), bound);
  EXPECT_GT(max(abs(m.in_proj_weight())).item(), 0.9 * bound);
  EXPECT_EQ(max(abs(m.in_proj_bias())).item(), 0.0);
  EXPECT_EQ(max(abs(m.out_proj().bias())).item(), 0.0);
  EXPECT_GT(max(abs(m.out_proj().weight())).item(), 0.0);
  nn::MultiheadAttention nb(8, 2, 0.0, false);
  EXPECT_EQ(nb.parameters().size(), 2u);
  EXPECT_FALSE(nb.in_proj_bias().defined());
  EXPECT_EQ(m.repr(), "MultiheadAttention(\n  (out_proj): Linear(in_features=16, out_features=16, bias=True)\n)");
}

TEST(MultiheadAttention, GradcheckSelfAndCross) {
  manual_seed(4);
  nn::MultiheadAttention m(6, 2, 0.0, true, true);
  m.to(kFloat64);
  // Self-attention through forward(x): input and every parameter.
  Tensor x = uniform({2, 4, 6}, -1, 1, 60);
  EXPECT_TRUE(check_param_grads(m, x));
  auto self = [&](const std::vector<Tensor>& a) { return m.forward(a[0]); };
  EXPECT_GRADCHECK(self, {x});
  // Causal cross-attention with L != S, sequence-first.
  nn::MultiheadAttention c(4, 2, 0.0, true, false);
  c.to(kFloat64);
  auto cross = [&](const std::vector<Tensor>& a) { return c.forward(a[0], a[1], a[2], true); };
  EXPECT_GRADCHECK(cross, {uniform({3, 2, 4}, -1, 1, 61), uniform({5, 2, 4}, -1, 1, 62), uniform({5, 2, 4}, -1, 1, 63)});
}

TEST(MultiheadAttention, BatchFirstAndUnbatchedAgree) {
  manual_seed(5);
  nn::MultiheadAttention a(8, 2, 0.0, true, false), b(8, 2, 0.0, true, true);
  b.load_state_dict(a.state_dict());
  Tensor x = uniform({5, 3, 8}, -1, 1, 70).to(kFloat32);  // (L, N, E)
  Tensor ya = a.forward(x, x, x, true);
  Tensor xb = x.transpose(0, 1).contiguous();
  EXPECT_ALLCLOSE(b.forward(xb, xb, xb, true).transpose(0, 1), ya, 1e-5, 1e-6);
  // Unbatched (L, E) is the batch of one; different tensors for q, k, v take the unpacked path.
  Tensor x1 = x.select(1, 1).contiguous();
  EXPECT_ALLCLOSE(a.forward(x1, x1.clone(), x1.clone(), true), ya.select(1, 1), 1e-5, 1e-6);
}

TEST(MultiheadAttention, DropoutOnlyInTraining) {
  manual_seed(6);
  nn::MultiheadAttention m(8, 2, 0.5, true, true);
  Tensor x = uniform({2, 6, 8}, -1, 1, 71).to(kFloat32);
  m.eval();
  Tensor e1 = m(x), e2 = m(x);
  EXPECT_ALLCLOSE(e1, e2, 0, 0);
  m.train();
  EXPECT_FALSE(allclose(m(x), e1, 1e-3, 1e-3));
}

TEST(MultiheadAttention, ErrorsNameTheProblem) {
  EXPECT_EMBER_ERROR(nn::MultiheadAttention(10, 3), "embed_dim 10 must be divisible by num_heads 3");
  EXPECT_EMBER_ERROR(nn::MultiheadAttention(8, 0), "must be >= 1");
  EXPECT_EMBER_ERROR(nn::MultiheadAttention(8, 2, 1.0), "dropout must be in [0, 1)");
  nn::MultiheadAttention m(8, 2);
  Tensor x = zeros({4, 2, 8});
  EXPECT_EMBER_ERROR(m.forward(zeros({4, 2, 6})), "last dimension must be embed_dim=8");
  EXPECT_EMBER_ERROR(m.forward(x, zeros({5, 3, 8}), zeros({5, 3, 8})), "batch sizes differ");
  EXPECT_EMBER_ERROR(m.forward(x, zeros({5, 2, 8}), zeros({6, 2, 8})), "key and value sequence lengths differ");
  EXPECT_EMBER_ERROR(m.forward(zeros({1, 4, 2, 8})), "rank, 3 (batched) or 2 (unbatched)");
}
