// The zoo's language models: nanoGPT's GPT and the CharLSTM against PyTorch (fixtures from
// tests/models/fixtures/make_text_model_fixtures.py: logits, loss and every parameter's gradient
// agree in float32), their layouts, float64 finite-difference gradients, the key/value cache
// (incremental decoding gives the full forward's logits), and sampling.
#include <gtest/gtest.h>

#include <cmath>

#include "ember/io/safetensors.h"
#include "ember/models/text.h"
#include "ember/models/zoo.h"
#include "harness/module_gradcheck.h"
#include "harness/op_harness.h"

namespace ember::test {
namespace {

io::SafetensorsFile fixture(const std::string& name) {
  return io::load_safetensors(std::string(EMBER_TEST_SOURCE_DIR) + "/models/fixtures/text_" + name + ".safetensors");
}

/// The fixture's model in ember with PyTorch's parameters loaded strictly (names must match).
models::TextModelPtr model_from_fixture(const std::string& name, const io::SafetensorsFile& f) {
  models::TextModelConfig c;
  c.vocab_size = 64;
  if (name == "gpt") {
    c.context = 8;
    c.layers = 2;
    c.heads = 2;
    c.width = 16;
  } else {
    c.layers = 2;
    c.width = 16;
    c.embedding = 8;
  }
  auto m = models::make_text_model(name, c);
  std::map<std::string, Tensor> params;
  for (const auto& [k, v] : f.tensors)
    if (k != "input" && k != "target" && k != "logits" && k != "loss" && k.rfind("grad.", 0) != 0) params[k] = v;
  m->load_state_dict(params);
  return m;
}

void check_against_pytorch(const std::string& name) {
  io::SafetensorsFile f = fixture(name);
  auto m = model_from_fixture(name, f);
  Tensor logits = (*m)(f.tensors.at("input"));
  EXPECT_ALLCLOSE(logits, f.tensors.at("logits"), 1e-5, 1e-5);
  Tensor loss = cross_entropy(logits.reshape({-1, 64}), f.tensors.at("target").reshape({-1}));
  EXPECT_ALLCLOSE(loss.reshape({1}), f.tensors.at("loss"), 1e-5, 1e-6);
  loss.backward();
  int64_t checked = 0;
  for (const auto& [n, p] : m->named_parameters()) {
    ASSERT_TRUE(f.tensors.count("grad." + n)) << n;
    EXPECT_ALLCLOSE(p.grad(), f.tensors.at("grad." + n), 1e-4, 1e-5) << n;
    ++checked;
  }
  EXPECT_GT(checked, 8);
}

TEST(TextModels, GptMatchesNanoGptInPyTorch) { check_against_pytorch("gpt"); }
TEST(TextModels, CharLstmMatchesPyTorch) { check_against_pytorch("charlstm"); }

TEST(TextModels, GptHasNanoGptsLayoutAndSize) {
  auto m = models::make_text_model("gpt");
  auto sd = m->state_dict();
  EXPECT_EQ(sd.at("transformer.wte.weight").shape(), (Shape{256, 128}));
  EXPECT_EQ(sd.at("transformer.wpe.weight").shape(), (Shape{128, 128}));
  EXPECT_EQ(sd.at("transformer.h.3.attn.c_attn.weight").shape(), (Shape{384, 128}));
  EXPECT_EQ(sd.at("transformer.h.0.mlp.c_fc.weight").shape(), (Shape{512, 128}));
  EXPECT_EQ(sd.at("transformer.ln_f.bias").shape(), (Shape{128}));
  EXPECT_EQ(sd.count("lm_head.weight"), 0u);  // tied to wte
  EXPECT_FALSE(sd.count("transformer.h.4.ln_1.weight"));
  // 4 x (12 w^2 + 13 w) + (256 + 128 + 2) w, as nanoGPT counts with bias.
  EXPECT_EQ(m->num_parameters(), 4 * (12 * 128 * 128 + 13 * 128) + (256 + 128 + 2) * 128);
  // nanoGPT's initialisation: std 0.02, residual projections 0.02 / sqrt(2 * 4).
  auto std_of = [](const Tensor& t) { return std::sqrt(var(t).item()); };
  EXPECT_NEAR(std_of(sd.at("transformer.h.0.attn.c_attn.weight")), 0.02, 0.002);
  EXPECT_NEAR(std_of(sd.at("transformer.h.0.mlp.c_proj.weight")), 0.02 / std::sqrt(8.0), 0.001);
  EXPECT_EQ(max(abs(sd.at("transformer.h.0.attn.c_attn.bias"))).item(), 0.0);
  Tensor logits = (*m)(zeros({2, 128}, kInt64));
  EXPECT_EQ(logits.shape(), (Shape{2, 128, 256}));
  EXPECT_EMBER_ERROR((*m)(zeros({1, 129}, kInt64)), "129", "context of 128");
}

TEST(TextModels, CharLstmHasTheWordLanguageModelLayout) {
  auto m = models::make_text_model("charlstm");
  auto sd = m->state_dict();
  EXPECT_EQ(sd.at("encoder.weight").shape(), (Shape{256, 128}));
  EXPECT_EQ(sd.at("rnn.weight_ih_l0").shape(), (Shape{1024, 128}));
  EXPECT_EQ(sd.at("rnn.weight_hh_l1").shape(), (Shape{1024, 256}));
  EXPECT_EQ(sd.at("decoder.weight").shape(), (Shape{256, 256}));
  EXPECT_EQ((*m)(zeros({3, 5}, kInt64)).shape(), (Shape{3, 5, 256}));
}

TEST(TextModels, ConfigsAreCheckedAndDefaulted) {
  auto g = models::resolve_text_config("gpt");
  EXPECT_EQ(g.layers, 4);
  EXPECT_EQ(g.heads, 4);
  EXPECT_EQ(g.width, 128);
  EXPECT_EQ(g.context, 128);
  auto l = models::resolve_text_config("charlstm");
  EXPECT_EQ(l.width, 256);
  EXPECT_EQ(l.embedding, 128);
  EXPECT_EMBER_ERROR(models::resolve_text_config("gpt", {.heads = 3}), "multiple of the number of heads 3");
  EXPECT_EMBER_ERROR(models::resolve_text_config("charlstm", {.heads = 2}), "no attention heads");
  EXPECT_EMBER_ERROR(models::resolve_text_config("gpt", {.dropout = 1.0}), "dropout");
  EXPECT_EMBER_ERROR(models::make_text_model("lenet"), "unknown language model 'lenet'");
  EXPECT_EMBER_ERROR(models::make_model("gpt"), "language model");
}

/// Float64 models small enough for a central-difference check of every parameter.
models::TextModelPtr tiny(const std::string& name) {
  manual_seed(5);
  models::TextModelConfig c{.vocab_size = 7, .context = 5, .layers = 2, .heads = name == "gpt" ? 2 : 0, .width = 4,
                            .embedding = name == "gpt" ? 0 : 3};
  auto m = models::make_text_model(name, c);
  for (auto& p : m->parameters()) nn::init::uniform_(p, -0.6, 0.6);
  m->to(kFloat64);
  return m;
}

TEST(TextModels, GptGradientsMatchFiniteDifferences) {
  auto m = tiny("gpt");
  Tensor x = from_vector(std::vector<int64_t>{1, 4, 0, 6, 2, 3, 3, 5}, {2, 4});
  EXPECT_TRUE(check_param_grads(*m, x));
}

TEST(TextModels, CharLstmGradientsMatchFiniteDifferences) {
  auto m = tiny("charlstm");
  Tensor x = from_vector(std::vector<int64_t>{1, 4, 0, 6, 2, 3}, {2, 3});
  EXPECT_TRUE(check_param_grads(*m, x));
}

/// Feeding a sequence token by token (after a prompt) gives the logits the full forward gives
/// at each position.
void check_incremental(const std::string& name) {
  manual_seed(9);
  auto m = models::make_text_model(name, {.context = name == "gpt" ? 16 : 0});
  for (auto& p : m->parameters()) nn::init::uniform_(p, -0.3, 0.3);
  m->eval();
  Tensor x = from_vector(std::vector<int64_t>{72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33}, {1, 12});
  Tensor full;
  {
    NoGradGuard ng;
    full = (*m)(x);
  }
  auto state = m->begin_generation(1);
  Tensor l = m->feed(x.slice(1, 0, 4), *state);  // a 4-token prompt
  EXPECT_ALLCLOSE(l, full.select(1, 3), 1e-4, 1e-5);
  for (int64_t t = 4; t < 12; ++t) {
    l = m->feed(x.slice(1, t, t + 1), *state);
    EXPECT_ALLCLOSE(l, full.select(1, t), 1e-4, 1e-5) << name << " position " << t;
  }
  EXPECT_EQ(state->position, 12);
}

TEST(TextModels, GptKeyValueCacheGivesTheFullForwardsLogits) { check_incremental("gpt"); }
TEST(TextModels, CharLstmStateGivesTheFullForwardsLogits) { check_incremental("charlstm"); }

TEST(TextModels, GenerateIsSeededAndSlidesPastTheContext) {
  manual_seed(3);
  auto m = models::make_text_model("gpt", {.context = 8, .layers = 1, .heads = 1, .width = 8});
  m->eval();
  models::SamplingOptions o;
  o.seed = 11;
  std::string streamed;
  const std::string a = models::generate(*m, "ab", 30, o, [&](char c) { streamed.push_back(c); });
  EXPECT_EQ(a.size(), 30u);  // far past the context of 8: the cache restarts
  EXPECT_EQ(streamed, a);
  EXPECT_EQ(models::generate(*m, "ab", 30, o), a);
  o.seed = 12;
  EXPECT_NE(models::generate(*m, "ab", 30, o), a);
  // top-k 1 is greedy: the argmax of the full forward's last logits.
  o.top_k = 1;
  const std::string g = models::generate(*m, "abc", 1, o);
  NoGradGuard ng;
  Tensor logits = (*m)(from_vector(std::vector<int64_t>{'a', 'b', 'c'}, {1, 3}));
  EXPECT_EQ(static_cast<uint8_t>(g[0]), argmax(logits.select(1, 2), 1).item<int64_t>());
  EXPECT_EMBER_ERROR(models::generate(*m, "", 3, o), "prompt");
  o.temperature = 0;
  EXPECT_EMBER_ERROR(models::generate(*m, "a", 3, o), "temperature");
}

}  // namespace
}  // namespace ember::test
