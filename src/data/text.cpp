// Byte-level text corpus and its training/validation windows (see ember/data/text.h).
#include "ember/data/text.h"

#include <sys/stat.h>

#include <cmath>
#include <cstring>

#include "core/kernel_formulas.h"
#include "data/file_util.h"
#include "ember/error.h"

namespace ember::data {

int64_t text_window_offset(uint64_t seed, int64_t step, int64_t i, int64_t split_size, int64_t context) {
  EMBER_CHECK(i >= 0 && i < (int64_t{1} << 20), "text windows: window index ", i, " out of range [0, 2^20)");
  EMBER_CHECK(split_size > context && context >= 1, "text windows: a split of ", split_size,
              " bytes holds no window of ", context + 1, " bytes");
  const uint64_t key = seed * 0x9e3779b97f4a7c15ull + (static_cast<uint64_t>(step) << 20) + static_cast<uint64_t>(i);
  // Value 0 of the splitmix64 stream seeded with key: Vigna's splitmix64(key).
  return static_cast<int64_t>(EMBER_SPLITMIX64(uint64_t, key, 0) % static_cast<uint64_t>(split_size - context));
}

TextCorpus::TextCorpus(std::vector<uint8_t> bytes, std::string name, int64_t min_split_bytes, double val_fraction)
    : bytes_(std::move(bytes)), name_(std::move(name)) {
  EMBER_CHECK(val_fraction > 0 && val_fraction <= 0.5, "text corpus: validation fraction must be in (0, 0.5], got ",
              val_fraction);
  EMBER_CHECK(min_split_bytes >= 2, "text corpus: min_split_bytes must be >= 2, got ", min_split_bytes);
  const int64_t n = size();
  split_ = n - static_cast<int64_t>(std::floor(static_cast<double>(n) * val_fraction));
  EMBER_CHECK(split_ >= min_split_bytes && n - split_ >= min_split_bytes, "text file ", name_, " holds ", n,
              " bytes: too short to hold out ", val_fraction * 100, "% for validation with windows of ",
              min_split_bytes, " bytes (need at least ",
              static_cast<int64_t>(std::ceil(static_cast<double>(min_split_bytes) / val_fraction)), " bytes)");
}

TextCorpus TextCorpus::from_bytes(std::vector<uint8_t> bytes, const std::string& name, int64_t min_split_bytes,
                                  double val_fraction) {
  return TextCorpus(std::move(bytes), name, min_split_bytes, val_fraction);
}

TextCorpus TextCorpus::from_file(const std::string& path, int64_t min_split_bytes, double val_fraction,
                                 int64_t max_bytes) {
  struct stat st {};
  EMBER_CHECK(::stat(path.c_str(), &st) == 0, "text file ", path, " does not exist");
  EMBER_CHECK(S_ISREG(st.st_mode), "text file ", path, " is not a regular file");
  EMBER_CHECK(st.st_size <= max_bytes, "text file ", path, " holds ", static_cast<int64_t>(st.st_size),
              " bytes, more than the limit of ", max_bytes);
  return TextCorpus(detail::read_file(path), path, min_split_bytes, val_fraction);
}

int64_t TextCorpus::split_size(Split s) const { return s == Split::Train ? split_ : size() - split_; }

const uint8_t* TextCorpus::split_data(Split s) const { return bytes_.data() + (s == Split::Train ? 0 : split_); }

Batch TextCorpus::windows(Split s, const std::vector<int64_t>& offsets, int64_t context) const {
  const int64_t b = static_cast<int64_t>(offsets.size());
  Tensor x = empty({b, context}, kInt64), y = empty({b, context}, kInt64);
  auto* xp = static_cast<int64_t*>(x.raw_data());
  auto* yp = static_cast<int64_t*>(y.raw_data());
  const uint8_t* d = split_data(s);
  for (int64_t r = 0; r < b; ++r) {
    const uint8_t* w = d + offsets[r];
    for (int64_t t = 0; t < context; ++t) {
      xp[r * context + t] = w[t];
      yp[r * context + t] = w[t + 1];
    }
  }
  return {x, y};
}

Batch TextCorpus::training_batch(uint64_t seed, int64_t step, int64_t batch, int64_t context) const {
  EMBER_CHECK(batch >= 1, "text batch: batch size must be >= 1, got ", batch);
  EMBER_CHECK(context >= 1 && context < split_size(Split::Train), "text batch: context ", context,
              " does not fit the ", split_size(Split::Train), " training bytes of ", name_);
  std::vector<int64_t> offsets(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i)
    offsets[i] = text_window_offset(seed, step, i, split_size(Split::Train), context);
  return windows(Split::Train, offsets, context);
}

int64_t TextCorpus::validation_windows(int64_t context, int64_t max_windows) const {
  EMBER_CHECK(context >= 1 && context < split_size(Split::Test), "text validation: context ", context,
              " does not fit the ", split_size(Split::Test), " validation bytes of ", name_,
              " (the last 10% of the file)");
  EMBER_CHECK(max_windows >= 1, "text validation: max_windows must be >= 1");
  return std::min(max_windows, (split_size(Split::Test) - 1) / context);
}

int64_t TextCorpus::validation_offset(int64_t k, int64_t count, int64_t context) const {
  const int64_t full = (split_size(Split::Test) - 1) / context;
  EMBER_CHECK(count >= 1 && count <= full && k >= 0 && k < count, "text validation: window ", k, " of ", count,
              " out of range");
  return (k * full / count) * context;
}

Batch TextCorpus::validation_batch(int64_t first, int64_t n, int64_t count, int64_t context) const {
  EMBER_CHECK(n >= 1 && first >= 0 && first + n <= count, "text validation: windows [", first, ", ", first + n,
              ") out of range for ", count);
  std::vector<int64_t> offsets(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) offsets[i] = validation_offset(first + i, count, context);
  return windows(Split::Test, offsets, context);
}

Tensor encode_bytes(const std::string& text) {
  const int64_t n = static_cast<int64_t>(text.size());
  Tensor t = empty({1, n}, kInt64);
  auto* p = static_cast<int64_t*>(t.raw_data());
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(text[i]);
  return t;
}

}  // namespace ember::data
