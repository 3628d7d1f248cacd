// Checkpoints: sections and metadata round-trip, the file is plain safetensors with prefixed
// keys and a format marker, wrong files are refused clearly, and generator state restores the
// exact random stream (including Box-Muller's cached sample).
#include "ember/io.h"
#include "harness/op_harness.h"
#include "io/temp_dir.h"

using namespace ember;
using namespace ember::test;

namespace {
io::Checkpoint sample_checkpoint() {
  io::Checkpoint c;
  c.model = {{"fc1.weight", uniform({4, 3}, -1, 1, 1)}, {"fc1.bias", uniform({4}, -1, 1, 2)},
             {"bn.num_batches_tracked", scalar_tensor(12, kInt64)}};
  c.optimizer = {{"state.0.exp_avg", uniform({4, 3}, -1, 1, 3)}, {"step", scalar_tensor(5, kInt64)}};
  c.scheduler = {{"last_epoch", scalar_tensor(2, kInt64)}};
  c.meta = {{"epoch", "2"}, {"step", "500"}, {"config", R"({"lr":0.01})"}};
  return c;
}
}  // namespace

TEST(Checkpoint, RoundTrip) {
  TempDir dir;
  std::string p = dir.file("ckpt.safetensors");
  io::Checkpoint c = sample_checkpoint();
  io::save_checkpoint(p, c);
  io::Checkpoint r = io::load_checkpoint(p);
  EXPECT_EQ(r.meta, c.meta);
  for (auto [a, b] : {std::pair{&c.model, &r.model}, {&c.optimizer, &r.optimizer}, {&c.scheduler, &r.scheduler}}) {
    ASSERT_EQ(a->size(), b->size());
    for (const auto& [name, t] : *a) {
      ASSERT_TRUE(b->count(name)) << name;
      EXPECT_EQ(b->at(name).dtype(), t.dtype()) << name;
      EXPECT_ALLCLOSE(b->at(name), t, 0, 0);
    }
  }
  // An empty checkpoint is fine too.
  io::save_checkpoint(p, io::Checkpoint{});
  io::Checkpoint e = io::load_checkpoint(p);
  EXPECT_TRUE(e.model.empty() && e.optimizer.empty() && e.scheduler.empty() && e.meta.empty());
}

TEST(Checkpoint, IsPlainSafetensorsWithPrefixes) {
  TempDir dir;
  std::string p = dir.file("ckpt.safetensors");
  io::save_checkpoint(p, sample_checkpoint());
  io::SafetensorsFile f = io::load_safetensors(p);
  EXPECT_TRUE(f.tensors.count("model/fc1.weight"));
  EXPECT_TRUE(f.tensors.count("optimizer/state.0.exp_avg"));
  EXPECT_TRUE(f.tensors.count("scheduler/last_epoch"));
  EXPECT_EQ(f.tensors.size(), 6u);
  EXPECT_EQ(f.metadata.at("format"), "ember-checkpoint");
  EXPECT_EQ(f.metadata.at("version"), "1");
  EXPECT_EQ(f.metadata.at("epoch"), "2");
}

TEST(Checkpoint, RefusesOtherFiles) {
  TempDir dir;
  std::string p = dir.file("weights.safetensors");
  io::save_safetensors(p, {{"fc1.weight", ones({2, 2})}});
  EXPECT_EMBER_ERROR(io::load_checkpoint(p), "weights.safetensors", "not an ember checkpoint", "missing");
  io::save_safetensors(p, {{"model/w", ones({2})}}, {{"format", "pt"}});
  EXPECT_EMBER_ERROR(io::load_checkpoint(p), "weights.safetensors", "'pt'");
  io::save_safetensors(p, {{"model/w", ones({2})}}, {{"format", "ember-checkpoint"}, {"version", "99"}});
  EXPECT_EMBER_ERROR(io::load_checkpoint(p), "weights.safetensors", "version '99'");
  io::save_safetensors(p, {{"model/w", ones({2})}, {"stray", ones({1})}},
                       {{"format", "ember-checkpoint"}, {"version", "1"}});
  EXPECT_EMBER_ERROR(io::load_checkpoint(p), "weights.safetensors", "'stray'");
  io::Checkpoint c;
  c.meta["format"] = "x";
  EXPECT_EMBER_ERROR(io::save_checkpoint(p, c), "'format'", "reserved");
  EXPECT_EMBER_ERROR(io::load_checkpoint(dir.file("absent.ckpt")), "absent.ckpt");
}

TEST(Checkpoint, GeneratorStateRestoresTheStream) {
  Generator g(42);
  for (int i = 0; i < 7; ++i) g.normal();  // odd count: a cached spare sample is pending
  ASSERT_TRUE(g.has_spare());
  std::string state = io::generator_state(g);
  std::vector<double> a;
  for (int i = 0; i < 5; ++i) a.push_back(g.normal());
  for (int i = 0; i < 3; ++i) a.push_back(g.uniform());
  Generator h(7);
  io::set_generator_state(h, state);
  EXPECT_EQ(h.seed(), 42u);
  std::vector<double> b;
  for (int i = 0; i < 5; ++i) b.push_back(h.normal());
  for (int i = 0; i < 3; ++i) b.push_back(h.uniform());
  EXPECT_EQ(a, b);
  // Through a checkpoint with the default generator and a factory.
  TempDir dir;
  manual_seed(3);
  randn({5});
  io::Checkpoint c;
  c.meta["rng"] = io::generator_state(default_generator());
  io::save_checkpoint(dir.file("c.safetensors"), c);
  Tensor expected = randn({4, 3});
  manual_seed(99);
  io::set_generator_state(default_generator(), io::load_checkpoint(dir.file("c.safetensors")).meta.at("rng"));
  EXPECT_ALLCLOSE(randn({4, 3}), expected, 0, 0);
}

TEST(Checkpoint, MalformedGeneratorStateLeavesGeneratorUnchanged) {
  Generator g(5);
  std::string before = io::generator_state(g);
  for (std::string bad : {std::string(""), std::string("garbage"), std::string("ember-generator-v1 5 2 0 1 2 3"),
                          before.substr(0, before.size() / 2), before + " extra", "x" + before.substr(1)})
    EXPECT_EMBER_ERROR(io::set_generator_state(g, bad), "set_generator_state", "malformed");
  EXPECT_EQ(io::generator_state(g), before);
}
