// Text for language models: a byte-level corpus read from one file (vocabulary 256, so any file
// works), split into training text (the first 90%) and held-out validation text (the last 10%),
// and the windows a model trains and is validated on. Training windows are drawn at random
// offsets from a stream that depends only on (seed, step), so a resumed run, or a PyTorch script
// that implements text_window_offset, sees exactly the same windows in the same order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ember/data/dataset.h"

namespace ember::data {

/// Byte-level vocabulary size: every token is one byte of the file.
inline constexpr int64_t kByteVocab = 256;

class TextCorpus {
 public:
  /// Reads `path` whole. Requires a readable regular file of at most max_bytes (default 1 GiB)
  /// whose validation part (the last val_fraction of the bytes, val_fraction in (0, 0.5]) and
  /// training part each hold at least min_split_bytes bytes (so windows of that length minus
  /// one fit); throws ember::Error naming the file otherwise.
  static TextCorpus from_file(const std::string& path, int64_t min_split_bytes = 2, double val_fraction = 0.1,
                              int64_t max_bytes = int64_t{1} << 30);
  /// The same from bytes in memory (`name` is what errors call them).
  static TextCorpus from_bytes(std::vector<uint8_t> bytes, const std::string& name, int64_t min_split_bytes = 2,
                               double val_fraction = 0.1);

  const std::string& name() const { return name_; }
  int64_t size() const { return static_cast<int64_t>(bytes_.size()); }
  /// The split's bytes: Train is [0, split_point), Test (validation) is [split_point, size).
  int64_t split_size(Split s) const;
  int64_t split_point() const { return split_; }
  const uint8_t* split_data(Split s) const;

  /// A training batch: `batch` windows of context + 1 bytes of the training split at
  /// text_window_offset(seed, step, i); inputs (batch, context) int64 are the first `context`
  /// bytes of each window, targets (batch, context) int64 the next byte at each position.
  /// Requires batch >= 1 and 1 <= context < split_size(Train).
  Batch training_batch(uint64_t seed, int64_t step, int64_t batch, int64_t context) const;
  /// The number of validation windows: min(max_windows, full) where full = (split_size(Test) - 1) /
  /// context is how many windows of context + 1 bytes tile the validation split, consecutive
  /// windows sharing one byte (each input byte is scored once). Requires 1 <= context <
  /// split_size(Test) and max_windows >= 1.
  int64_t validation_windows(int64_t context, int64_t max_windows = 1024) const;
  /// Offset within the validation split of window k of count: (k * full / count) * context,
  /// so a subset of the tiling is spread evenly over the split.
  int64_t validation_offset(int64_t k, int64_t count, int64_t context) const;
  /// Validation windows [first, first + n) of count as a batch shaped like training_batch's.
  Batch validation_batch(int64_t first, int64_t n, int64_t count, int64_t context) const;

 private:
  TextCorpus(std::vector<uint8_t> bytes, std::string name, int64_t min_split_bytes, double val_fraction);
  Batch windows(Split s, const std::vector<int64_t>& offsets, int64_t context) const;
  std::vector<uint8_t> bytes_;
  std::string name_;
  int64_t split_ = 0;
};

/// The offset of training window i of step `step` in a training split of `split_size` bytes for
/// windows of context + 1 bytes: splitmix64(seed * 0x9e3779b97f4a7c15 + step * 2^20 + i) modulo
/// (split_size - context), splitmix64 as in Vigna's reference (z += 0x9e3779b97f4a7c15; then the
/// two xor-shift-multiply rounds). Written out so another implementation can reproduce it.
/// Requires 0 <= i < 2^20 and split_size > context.
int64_t text_window_offset(uint64_t seed, int64_t step, int64_t i, int64_t split_size, int64_t context);

/// The bytes of `text` as a (1, n) int64 token tensor (for prompts).
Tensor encode_bytes(const std::string& text);

}  // namespace ember::data
