// The torchvision-equivalence fixtures of tests/models/fixtures/ (made by make_resnet_fixtures.py):
// the C++ twin of the script's weight/input formula (bit-exact: integer hashing, then an integer
// divided by a power of two), 64-bit FNV-1a, and the reader of the fixture JSON files.
#pragma once
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::test::resnet_fixture {

inline std::string dir() { return std::string(EMBER_TEST_SOURCE_DIR) + "/models/fixtures"; }

/// One state_dict entry as torchvision lists it.
struct Entry {
  std::string name;
  bool parameter = false;  // else a buffer
  DType dtype = kFloat32;
  Shape shape;
};

/// One fixture file: the model ember builds, its input and what torchvision computed.
struct Fixture {
  std::string ember_model;
  int64_t num_classes = 0, in_channels = 0, image_size = 0;
  Shape input_shape;
  uint64_t input_fnv1a64 = 0, file_fnv1a64 = 0, file_bytes = 0;
  std::vector<std::vector<double>> logits;
  std::vector<Entry> state_dict;  // torchvision's state_dict order (the formula's tensor index)
};

inline std::vector<Entry> parse_layout(const nlohmann::json& j) {
  std::vector<Entry> out;
  for (const auto& e : j) {
    Entry x;
    x.name = e.at(0).get<std::string>();
    x.parameter = e.at(1).get<std::string>() == "parameter";
    x.dtype = io::dtype_from_safetensors_code(e.at(2).get<std::string>());
    x.shape = Shape(e.at(3).get<std::vector<int64_t>>());
    out.push_back(std::move(x));
  }
  return out;
}

inline nlohmann::json read_json(const std::string& file) {
  std::ifstream in(dir() + "/" + file);
  EMBER_CHECK(in, "cannot open fixture ", dir(), "/", file);
  return nlohmann::json::parse(in);
}

inline Fixture load(const std::string& stem) {
  nlohmann::json j = read_json(stem + ".json");
  Fixture f;
  f.ember_model = j.at("ember_model").get<std::string>();
  f.num_classes = j.at("config").at("num_classes").get<int64_t>();
  f.in_channels = j.at("config").at("in_channels").get<int64_t>();
  f.image_size = j.at("config").at("image_size").get<int64_t>();
  f.input_shape = Shape(j.at("input_shape").get<std::vector<int64_t>>());
  f.input_fnv1a64 = std::stoull(j.at("input_fnv1a64").get<std::string>(), nullptr, 16);
  f.file_fnv1a64 = std::stoull(j.at("file_fnv1a64").get<std::string>(), nullptr, 16);
  f.file_bytes = j.at("file_bytes").get<uint64_t>();
  f.logits = j.at("logits").get<std::vector<std::vector<double>>>();
  f.state_dict = parse_layout(j.at("state_dict"));
  return f;
}

/// torchvision_layouts.json: the default-config layout of "resnet18", "resnet34" or "resnet50".
inline std::vector<Entry> default_layout(const std::string& model) {
  return parse_layout(read_json("torchvision_layouts.json").at("models").at(model));
}

// ---- the formula (make_resnet_fixtures.py's header states it) ------------------------------

constexpr uint64_t kInputTensorIndex = 65535;

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t hash(uint64_t t, uint64_t i) { return splitmix64((t << 32) ^ i); }

/// An integer in [-m, m].
inline int64_t centred(uint64_t h, int64_t m) {
  return static_cast<int64_t>((h >> 11) % static_cast<uint64_t>(2 * m + 1)) - m;
}

inline int bit_length(int64_t v) {
  int n = 0;
  for (; v > 0; v >>= 1) ++n;
  return n;
}

/// State_dict tensor number t of the given name and shape, as the script fills it.
inline Tensor formula_tensor(uint64_t t, const std::string& name, const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  if (name.ends_with("num_batches_tracked")) {
    Tensor out = empty(shape, TensorOptions(kInt64));
    auto* p = out.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<int64_t>(hash(t, i) % 1000);
    return out;
  }
  enum { kWeight, kScale, kShift } kind;
  if (name.ends_with("running_var")) kind = kScale;
  else if (name.ends_with("running_mean")) kind = kShift;
  else if (shape.size() >= 2) kind = kWeight;
  else if (name.ends_with("weight")) kind = kScale;
  else if (name.ends_with("bias")) kind = kShift;
  else EMBER_FAIL("no formula for ", name);
  Tensor out = empty(shape, TensorOptions(kFloat32));
  auto* p = out.data_ptr<float>();
  const int e = kind == kWeight ? bit_length(n / shape[0]) / 2 : 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t h = hash(t, static_cast<uint64_t>(i));
    switch (kind) {
      case kWeight: p[i] = static_cast<float>(centred(h, 1773)) / static_cast<float>(int64_t{1} << (10 + e)); break;
      case kScale: p[i] = static_cast<float>(centred(h, 1024) + 4096) / 4096.0f; break;
      case kShift: p[i] = static_cast<float>(centred(h, 1024)) / 8192.0f; break;
    }
  }
  return out;
}

/// The fixture input of the given shape (float32 in [-1, 1]).
inline Tensor formula_input(const Shape& shape) {
  Tensor out = empty(shape, TensorOptions(kFloat32));
  auto* p = out.data_ptr<float>();
  for (int64_t i = 0; i < out.numel(); ++i)
    p[i] = static_cast<float>(centred(hash(kInputTensorIndex, static_cast<uint64_t>(i)), 1024)) / 1024.0f;
  return out;
}

/// 64-bit FNV-1a of n bytes.
inline uint64_t fnv1a64(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 0xCBF29CE484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  return h;
}

}  // namespace ember::test::resnet_fixture
