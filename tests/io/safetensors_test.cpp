// safetensors: bit-exact round trips for every dtype, 0-dim / size-0 / non-contiguous tensors,
// metadata, byte-exact compatibility with the Python library's output, and rejection of
// malformed files (each error naming the file), including a randomized corruption test.
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "ember/io.h"
#include "harness/op_harness.h"
#include "io/temp_dir.h"

using namespace ember;
using namespace ember::test;

namespace {

/// A safetensors file from a header string (padded with spaces to a multiple of 8) and data.
std::string st_bytes(std::string header, const std::string& data, bool pad = true) {
  if (pad) header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  return out + header + data;
}

std::string f32_bytes(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

/// A tensor of `dtype` filled with deterministic random bytes (bools 0/1) via raw memory.
Tensor random_bits(const Shape& s, DType dtype, uint32_t seed) {
  Tensor t = empty(s, TensorOptions(dtype));
  std::mt19937 rng(seed);
  auto* p = static_cast<unsigned char*>(t.raw_data());
  for (size_t i = 0; i < static_cast<size_t>(t.numel()) * dtype_size(dtype); ++i)
    p[i] = static_cast<unsigned char>(dtype == kBool ? rng() % 2 : rng());
  return t;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  Tensor ca = a.contiguous(), cb = b.contiguous();
  size_t n = static_cast<size_t>(ca.numel()) * dtype_size(ca.dtype());
  return n == 0 || std::memcmp(ca.raw_data(), cb.raw_data(), n) == 0;
}

}  // namespace

TEST(Safetensors, RoundTripEveryDtypeBitExact) {
  TempDir dir;
  std::map<std::string, Tensor> ts;
  uint32_t seed = 1;
  for (DType d : {kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32, kUInt8, kBool})
    ts[std::string("t_") + dtype_name(d)] = random_bits({3, 5}, d, seed++);
  std::string p = dir.file("all.safetensors");
  io::save_safetensors(p, ts);
  io::SafetensorsFile f = io::load_safetensors(p);
  ASSERT_EQ(f.tensors.size(), ts.size());
  for (const auto& [name, t] : ts) {
    ASSERT_TRUE(f.tensors.count(name)) << name;
    EXPECT_TRUE(same_bytes(f.tensors.at(name), t)) << name;
    EXPECT_TRUE(f.tensors.at(name).device().is_cpu());
  }
  EXPECT_TRUE(f.metadata.empty());
}

TEST(Safetensors, ScalarEmptyAndNoncontiguous) {
  TempDir dir;
  Tensor base = uniform({4, 6}, -1, 1, 3);
  Tensor leaf = uniform({2, 3}, -1, 1, 4).set_requires_grad();
  std::map<std::string, Tensor> ts{
      {"scalar", scalar_tensor(3.5, kFloat32)},    {"empty", zeros({0})},
      {"empty3", zeros({2, 0, 3}, kInt64)},        {"transposed", base.t()},
      {"strided", base.slice(1, 0, 6, 2)},         {"nc", noncontiguous(uniform({3, 2, 2}, -1, 1, 5))},
      {"expanded", tensor({1, 2, 3}).expand({2, 3})}, {"leaf", leaf}};
  std::string p = dir.file("x.safetensors");
  io::save_safetensors(p, ts);
  io::SafetensorsFile f = io::load_safetensors(p);
  ASSERT_EQ(f.tensors.size(), ts.size());
  EXPECT_EQ(f.tensors.at("scalar").dim(), 0);
  EXPECT_EQ(f.tensors.at("scalar").item(), 3.5);
  EXPECT_EQ(f.tensors.at("empty3").shape(), (Shape{2, 0, 3}));
  EXPECT_EQ(f.tensors.at("empty3").dtype(), kInt64);
  for (const auto& [name, t] : ts) {
    EXPECT_TRUE(same_bytes(f.tensors.at(name), t.detach())) << name;
    EXPECT_FALSE(f.tensors.at(name).requires_grad()) << name;
  }
  // Only empty tensors: a file with an empty data buffer.
  io::save_safetensors(p, {{"e", zeros({0, 4})}});
  EXPECT_EQ(io::load_safetensors(p).tensors.at("e").shape(), (Shape{0, 4}));
  io::save_safetensors(p, {});
  EXPECT_TRUE(io::load_safetensors(p).tensors.empty());
}

TEST(Safetensors, MetadataRoundTrip) {
  TempDir dir;
  std::string p = dir.file("m.safetensors");
  std::map<std::string, std::string> meta{
      {"epoch", "7"}, {"empty", ""}, {"config", "{\"lr\": 0.1, \"name\": \"q\\\"uote\"}"}, {"unicode", "\xc3\xa9t\xc3\xa9"}};
  io::save_safetensors(p, {{"w", ones({2})}}, meta);
  io::SafetensorsFile f = io::load_safetensors(p);
  EXPECT_EQ(f.metadata, meta);
  EXPECT_EQ(read_bytes(p).size() % 8, 0u);
}

TEST(Safetensors, MatchesPythonLibraryBytes) {
  TempDir dir;
  // What safetensors.torch.save_file({"a": torch.tensor([1.0, 2.0])}) writes.
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string expected = st_bytes(header, f32_bytes({1.0f, 2.0f}));
  ASSERT_EQ(expected.substr(0, 8), std::string("\x38\0\0\0\0\0\0\0", 8));  // 55 chars padded to 56
  std::string p = dir.file("py.safetensors");
  write_bytes(p, expected);
  io::SafetensorsFile f = io::load_safetensors(p);
  EXPECT_EQ(f.tensors.at("a").dtype(), kFloat32);
  EXPECT_EQ(f.tensors.at("a").to_vector<float>(), (std::vector<float>{1.0f, 2.0f}));
  // Our writer produces exactly the same bytes.
  std::string q = dir.file("ours.safetensors");
  io::save_safetensors(q, {{"a", from_vector(std::vector<float>{1.0f, 2.0f}, {2})}});
  EXPECT_EQ(read_bytes(q), expected);
  // Mixed dtypes: the buffer (and header) order is dtype rank descending, then name, as the
  // Python library writes it; every tensor is aligned to its element size.
  io::save_safetensors(q, {{"a", from_vector(std::vector<int64_t>{1, 2, 3}, {3}).to(kUInt8)},
                           {"b", from_vector(std::vector<float>{1.0f, 2.0f}, {2})}});
  const std::string mixed = R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("a":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}})";
  EXPECT_EQ(read_bytes(q), st_bytes(mixed, f32_bytes({1.0f, 2.0f}) + "\x01\x02\x03"));
  std::map<std::string, Tensor> many;
  for (DType d : {kBool, kUInt8, kFloat16, kBFloat16, kInt32, kFloat32, kFloat64, kInt64})
    many[std::string("x_") + dtype_name(d)] = random_bits({3}, d, 7);
  io::save_safetensors(q, many);
  std::string qb = read_bytes(q);
  uint64_t qn = 0;
  for (int i = 7; i >= 0; --i) qn = (qn << 8) | static_cast<unsigned char>(qb[i]);
  auto h = nlohmann::ordered_json::parse(qb.substr(8, qn));
  std::vector<std::string> codes;
  for (const auto& [name, v] : h.items()) {
    codes.push_back(v["dtype"].get<std::string>());
    EXPECT_EQ(v["data_offsets"][0].get<uint64_t>() % dtype_size(io::dtype_from_safetensors_code(codes.back())), 0u)
        << name;
  }
  EXPECT_EQ(codes, (std::vector<std::string>{"I64", "F64", "F32", "I32", "BF16", "F16", "U8", "BOOL"}));
  // Other writers: any key order, buffer order unlike key order, metadata last, no padding.
  const std::string h2 =
      R"({"b" : {"dtype":"I32","shape":[],"data_offsets":[8,12]}, "a":{"dtype":"F64","shape":[1],)"
      R"("data_offsets":[0,8]}, "__metadata__":{"format":"pt"}})";
  std::string data(12, '\0');
  double d = -0.25;
  int32_t i = 42;
  std::memcpy(data.data(), &d, 8);
  std::memcpy(data.data() + 8, &i, 4);
  write_bytes(p, st_bytes(h2, data, false));
  f = io::load_safetensors(p);
  EXPECT_EQ(f.tensors.at("a").to_vector<double>(), std::vector<double>{-0.25});
  EXPECT_EQ(f.tensors.at("b").item<int64_t>(), 42);
  EXPECT_EQ(f.metadata.at("format"), "pt");
}

TEST(Safetensors, BoolBytesAreCanonicalised) {
  TempDir dir;
  std::string p = dir.file("b.safetensors");
  write_bytes(p, st_bytes(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", std::string("\x00\x02\x01", 3)));
  Tensor m = io::load_safetensors(p).tensors.at("m");
  const auto* raw = static_cast<const unsigned char*>(m.raw_data());
  EXPECT_EQ(raw[0], 0);
  EXPECT_EQ(raw[1], 1);
  EXPECT_EQ(raw[2], 1);
}

TEST(Safetensors, RejectsMalformedFiles) {
  TempDir dir;
  std::string p = dir.file("bad.safetensors");
  auto load_bytes = [&](const std::string& bytes) {
    write_bytes(p, bytes);
    return io::load_safetensors(p);
  };
  auto with = [&](const std::string& tensor_json, size_t data_size = 8) {
    return st_bytes("{\"a\":" + tensor_json + "}", std::string(data_size, '\0'));
  };
  const char* f = "bad.safetensors";
  EXPECT_EMBER_ERROR(io::load_safetensors(dir.file("nope.safetensors")), "cannot open", "nope.safetensors");
  EXPECT_EMBER_ERROR(io::load_safetensors(dir.path()), "not a regular file");
  EXPECT_EMBER_ERROR(load_bytes("abc"), f, "shorter than the 8-byte");
  EXPECT_EMBER_ERROR(load_bytes(std::string("\x10\0\0\0\0\0\0\0{}", 10)), f, "exceeds the file size");
  EXPECT_EMBER_ERROR(load_bytes(std::string("\xff\xff\xff\xff\xff\xff\xff\xff{}", 10)), f, "absurd");
  EXPECT_EMBER_ERROR(load_bytes(st_bytes("{\"a\": ", "")), f, "not valid JSON");
  EXPECT_EMBER_ERROR(load_bytes(st_bytes("[1,2]", "")), f, "not a JSON object");
  EXPECT_EMBER_ERROR(load_bytes(st_bytes("{\"a\":\"\xff\xfe\"}", "")), f, "not valid JSON");
  EXPECT_EMBER_ERROR(load_bytes(with("[1]")), f, "'a'", "not a JSON object");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"shape":[2],"data_offsets":[0,8]})")), f, "'a'", "dtype");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":5,"shape":[2],"data_offsets":[0,8]})")), f, "dtype");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"I8","shape":[8],"data_offsets":[0,8]})")), f, "'a'", "'I8'");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","data_offsets":[0,8]})")), f, "shape");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})")), f, "shape");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})")), f, "-2", "non-negative");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})")), f, "non-negative integer");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]})")),
                     f, "overflow");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[0,4611686018427387904],"data_offsets":[0,0]})", 0)), f,
                     "too large");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[2]})")), f, "data_offsets");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})")), f, "data_offsets");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[2],"data_offsets":[0,-8]})")), f, "data_offsets");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})")), f, "out of range");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})")), f, "out of range");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})")), f, "'a'", "needs 12");
  EXPECT_EMBER_ERROR(load_bytes(with(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})")), f, "cover 4",
                     "holds 8");
  const std::string two = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)";
  EXPECT_EMBER_ERROR(load_bytes(st_bytes(two + R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                         std::string(12, '\0'))),
                     f, "'b'", "overlap");
  EXPECT_EMBER_ERROR(load_bytes(st_bytes(two + R"("b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})",
                                         std::string(16, '\0'))),
                     f, "'b'", "hole");
  EXPECT_EMBER_ERROR(load_bytes(st_bytes(two + R"("__metadata__":{"k":1}})", std::string(8, '\0'))), f, "'k'",
                     "not a string");
  EXPECT_EMBER_ERROR(load_bytes(st_bytes(two + R"("__metadata__":[]})", std::string(8, '\0'))), f, "__metadata__");
}

TEST(Safetensors, SaveErrors) {
  TempDir dir;
  std::string p = dir.file("s.safetensors");
  EXPECT_EMBER_ERROR(io::save_safetensors(p, {{"__metadata__", ones({1})}}), "s.safetensors", "reserved");
  EXPECT_EMBER_ERROR(io::save_safetensors(p, {{"u", Tensor()}}), "s.safetensors", "'u'", "undefined");
  EXPECT_EMBER_ERROR(io::save_safetensors(p, {{"bad\xff", ones({1})}}), "s.safetensors", "UTF-8");
  EXPECT_EMBER_ERROR(io::save_safetensors(p, {{"a", ones({1})}}, {{"k", "\xc3"}}), "UTF-8");
  EXPECT_EMBER_ERROR(io::save_safetensors(dir.file("no/dir.safetensors"), {{"a", ones({1})}}), "no/dir.safetensors");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Safetensors, RandomCorruptionNeverCrashes) {
  TempDir dir;
  std::string good = dir.file("good.safetensors"), p = dir.file("fuzz.safetensors");
  io::save_safetensors(good,
                       {{"w", uniform({3, 4}, -1, 1, 9)}, {"b", ones({4}, kFloat16)}, {"i", arange(5)},
                        {"s", scalar_tensor(1, kBool)}, {"e", zeros({0, 2})}},
                       {{"epoch", "3"}, {"note", "fuzz"}});
  const std::string bytes = read_bytes(good);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  std::mt19937 rng(1234);
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::string b = bytes;
    switch (rng() % 4) {
      case 0:  // flip a few header bytes (including the length prefix)
        for (int k = 0, m = 1 + rng() % 4; k < m; ++k) b[rng() % (8 + n)] ^= static_cast<char>(1 + rng() % 255);
        break;
      case 1:  // truncate anywhere
        b.resize(rng() % b.size());
        break;
      case 2:  // overwrite a header byte with JSON-significant punctuation or a digit
        b[8 + rng() % n] = "{}[]\":,-0123456789e. \xff"[rng() % 23];
        break;
      default:  // change a digit in the header (offsets, shapes)
        for (size_t k = 8 + rng() % n; k < 8 + n; ++k)
          if (b[k] >= '0' && b[k] <= '9') {
            b[k] = static_cast<char>('0' + rng() % 10);
            break;
          }
    }
    write_bytes(p, b);
    try {
      io::SafetensorsFile f = io::load_safetensors(p);
      ++loaded;
      for (const auto& [name, t] : f.tensors) EXPECT_GE(t.numel(), 0);
    } catch (const Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "iteration " << iter << ": non-ember exception " << e.what();
    }
  }
  EXPECT_GT(rejected, 100);  // most corruptions are caught
  EXPECT_GT(loaded, 0);      // some (e.g. flipped spaces in padding, digit kept) are harmless
}
