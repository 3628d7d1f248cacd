// TextCorpus: the 90/10 split, training windows that depend only on (seed, step) and match the
// written-out splitmix64 formula, targets shifted by one byte, validation windows tiling the held-out
// text, and clear errors for files that cannot hold a window.
#include <gtest/gtest.h>

#include <fstream>

#include "data/test_dir.h"
#include "ember/data/text.h"
#include "harness/op_harness.h"

namespace ember::test {
namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::string text_of(int64_t n) {
  std::string s;
  for (int64_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + (i * 7 + i / 26) % 26));
  return s;
}

TEST(TextCorpus, SplitsTheLastTenPercentForValidation) {
  auto c = data::TextCorpus::from_bytes(bytes_of(text_of(1000)), "mem");
  EXPECT_EQ(c.size(), 1000);
  EXPECT_EQ(c.split_size(data::Split::Train), 900);
  EXPECT_EQ(c.split_size(data::Split::Test), 100);
  EXPECT_EQ(c.split_data(data::Split::Test)[0], static_cast<uint8_t>(text_of(1000)[900]));
}

TEST(TextCorpus, TrainingWindowsFollowTheDocumentedStream) {
  const std::string t = text_of(5000);
  auto c = data::TextCorpus::from_bytes(bytes_of(t), "mem");
  const int64_t T = 16, B = 5;
  data::Batch b = c.training_batch(3, 42, B, T);
  ASSERT_EQ(b.inputs.shape(), (Shape{B, T}));
  ASSERT_EQ(b.targets.shape(), (Shape{B, T}));
  auto x = b.inputs.to_vector<int64_t>(), y = b.targets.to_vector<int64_t>();
  for (int64_t i = 0; i < B; ++i) {
    // splitmix64 written out here independently of the library.
    uint64_t z = 3ull * 0x9e3779b97f4a7c15ull + (42ull << 20) + static_cast<uint64_t>(i) + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    const int64_t off = static_cast<int64_t>(z % static_cast<uint64_t>(4500 - T));
    EXPECT_EQ(data::text_window_offset(3, 42, i, 4500, T), off);
    for (int64_t j = 0; j < T; ++j) {
      EXPECT_EQ(x[i * T + j], static_cast<uint8_t>(t[off + j])) << i << " " << j;
      EXPECT_EQ(y[i * T + j], static_cast<uint8_t>(t[off + j + 1])) << i << " " << j;
    }
  }
  // The same (seed, step) gives the same windows; another step or seed others.
  EXPECT_ALLCLOSE(c.training_batch(3, 42, B, T).inputs.to(kFloat64), b.inputs.to(kFloat64), 0, 0);
  EXPECT_FALSE(allclose(c.training_batch(3, 43, B, T).inputs.to(kFloat64), b.inputs.to(kFloat64), 0, 0));
  EXPECT_FALSE(allclose(c.training_batch(4, 42, B, T).inputs.to(kFloat64), b.inputs.to(kFloat64), 0, 0));
}

TEST(TextCorpus, ValidationWindowsTileTheHeldOutText) {
  const std::string t = text_of(2000);  // validation: the last 200 bytes
  auto c = data::TextCorpus::from_bytes(bytes_of(t), "mem");
  const int64_t T = 10;
  const int64_t n = c.validation_windows(T);
  EXPECT_EQ(n, (200 - 1) / T);
  data::Batch b = c.validation_batch(0, n, n, T);
  auto x = b.inputs.to_vector<int64_t>(), y = b.targets.to_vector<int64_t>();
  for (int64_t k = 0; k < n; ++k)
    for (int64_t j = 0; j < T; ++j) {
      EXPECT_EQ(x[k * T + j], static_cast<uint8_t>(t[1800 + k * T + j]));
      EXPECT_EQ(y[k * T + j], static_cast<uint8_t>(t[1800 + k * T + j + 1]));
    }
  // A cap spreads the chosen windows over the split.
  EXPECT_EQ(c.validation_windows(T, 4), 4);
  EXPECT_EQ(c.validation_offset(3, 4, T), (3 * n / 4) * T);
}

TEST(TextCorpus, RefusesWhatCannotHoldAWindow) {
  EXPECT_EMBER_ERROR(data::TextCorpus::from_bytes(bytes_of("short"), "tiny.txt", 20), "tiny.txt", "too short");
  EXPECT_EMBER_ERROR(data::TextCorpus::from_file("/nonexistent/x.txt"), "/nonexistent/x.txt", "does not exist");
  EXPECT_EMBER_ERROR(data::TextCorpus::from_file("/tmp"), "/tmp", "not a regular file");
  auto c = data::TextCorpus::from_bytes(bytes_of(text_of(300)), "mem");
  EXPECT_EMBER_ERROR(c.training_batch(0, 0, 2, 270), "context 270");
  EXPECT_EMBER_ERROR(c.validation_windows(30), "validation");
  EXPECT_EMBER_ERROR(c.training_batch(0, 0, 0, 4), "batch size");
  TestDir dir;
  const std::string big = dir.path() + "/big.txt";
  std::ofstream(big) << text_of(100);
  EXPECT_EMBER_ERROR(data::TextCorpus::from_file(big, 2, 0.1, 50), big.c_str(), "limit of 50");
}

TEST(TextCorpus, EncodesPromptBytes) {
  Tensor t = data::encode_bytes("Hi\xff");
  EXPECT_EQ(t.shape(), (Shape{1, 3}));
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{'H', 'i', 255}));
}

}  // namespace
}  // namespace ember::test
