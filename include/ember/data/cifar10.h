// CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin): each record is one label
// byte and 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major 32x32).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ember/data/dataset.h"

namespace ember::data {

/// CIFAR-10 from dir (or dir/cifar-10-batches-bin when dir lacks the files): the five
/// data_batch_N.bin files for Train, test_batch.bin for Test. Each file must be a non-empty
/// multiple of 3073 bytes with labels < 10; otherwise ember::Error names the file and problem.
/// Example i is a float32 (3,32,32) image in [0,1] and a 0-dim int64 label.
class Cifar10Dataset : public Dataset {
 public:
  Cifar10Dataset(const std::string& dir, Split split);
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  Example get(int64_t i) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;

  const std::vector<uint8_t>& pixels() const { return pixels_; }  // size()*3072, CHW
  const std::vector<uint8_t>& labels() const { return labels_; }

  static constexpr int64_t kChannels = 3, kSize = 32, kClasses = 10;
  static constexpr int64_t kRecordBytes = 1 + 3 * 32 * 32;

  /// The class names in label order ("airplane", ..., "truck").
  static const std::vector<std::string>& class_names();

 private:
  void append_file(const std::string& path);
  std::vector<uint8_t> pixels_, labels_;
};

}  // namespace ember::data
