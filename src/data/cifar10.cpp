// CIFAR-10 binary batches: records of 1 label byte + 3072 CHW pixel bytes, checked for length
// and label range, held as uint8 and served as float32 (3,32,32) images in [0,1].
#include "ember/data/cifar10.h"

#include "data/file_util.h"
#include "data/u8_batch.h"

namespace ember::data {

const std::vector<std::string>& Cifar10Dataset::class_names() {
  static const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                 "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

Cifar10Dataset::Cifar10Dataset(const std::string& dir, Split split) {
  std::vector<std::string> names;
  if (split == Split::Train)
    for (int i = 1; i <= 5; ++i) names.push_back("data_batch_" + std::to_string(i) + ".bin");
  else
    names.push_back("test_batch.bin");
  // The official archive unpacks into cifar-10-batches-bin/; accept its parent too.
  std::string base = dir;
  std::string nested = detail::join_path(dir, "cifar-10-batches-bin");
  if (!detail::file_exists(detail::join_path(dir, names[0])) && detail::file_exists(detail::join_path(nested, names[0])))
    base = nested;
  for (const auto& n : names) append_file(detail::join_path(base, n));
}

void Cifar10Dataset::append_file(const std::string& path) {
  EMBER_CHECK(detail::file_exists(path), "Cifar10Dataset: ", path, ": file not found");
  std::vector<uint8_t> b = detail::read_file(path);
  EMBER_CHECK(!b.empty(), "Cifar10Dataset: ", path, ": empty file");
  EMBER_CHECK(b.size() % kRecordBytes == 0, "Cifar10Dataset: ", path, ": length ", b.size(),
              " is not a multiple of the ", kRecordBytes, "-byte record (truncated or not a CIFAR-10 batch)");
  size_t n = b.size() / kRecordBytes, plane = kRecordBytes - 1;
  labels_.reserve(labels_.size() + n);
  pixels_.reserve(pixels_.size() + n * plane);
  for (size_t r = 0; r < n; ++r) {
    const uint8_t* rec = b.data() + r * kRecordBytes;
    EMBER_CHECK(rec[0] < kClasses, "Cifar10Dataset: ", path, ": record ", r, " has label ", int(rec[0]),
                ", expected 0..9");
    labels_.push_back(rec[0]);
    pixels_.insert(pixels_.end(), rec + 1, rec + kRecordBytes);
  }
}

Example Cifar10Dataset::get(int64_t i) const {
  check_index("Cifar10Dataset::get", i);
  constexpr int64_t plane = kRecordBytes - 1;
  Tensor x = empty({kChannels, kSize, kSize});
  float* p = x.data_ptr<float>();
  const uint8_t* src = pixels_.data() + i * plane;
  for (int64_t k = 0; k < plane; ++k) p[k] = src[k] * (1.0f / 255.0f);
  return Example{x, scalar_tensor(labels_[static_cast<size_t>(i)], DType::Int64)};
}

Batch Cifar10Dataset::get_batch(const std::vector<int64_t>& indices) const {
  EMBER_CHECK(!indices.empty(), "Cifar10Dataset::get_batch: empty index list");
  for (int64_t i : indices) check_index("Cifar10Dataset::get_batch", i);
  return detail::make_u8_batch(pixels_, labels_, indices, {kChannels, kSize, kSize});
}

}  // namespace ember::data
