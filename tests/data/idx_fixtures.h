// Synthetic IDX data sets for the fetch tests: the four standard files of a train/test split
// (28x28 images, labels i % 10), written as .gz files the way the mirrors and Debian's package
// hold them.
#pragma once
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "data/file_util.h"
#include "data/test_dir.h"
#include "ember/data/mnist.h"

namespace ember::test {

/// Writes dir/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz with n_train / n_test images:
/// image i is black with one bright pixel (at 300 + i % 100) and label i % 10.
inline void write_idx_gz_set(const std::string& dir, int64_t n_train = 60000, int64_t n_test = 10000) {
  std::filesystem::create_directories(dir);
  auto one = [&](data::Split split, int64_t n) {
    std::vector<uint8_t> px(static_cast<size_t>(n) * 784), lb(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      lb[static_cast<size_t>(i)] = static_cast<uint8_t>(i % 10);
      px[static_cast<size_t>(i * 784 + 300 + i % 100)] = 255;
    }
    auto names = data::mnist_file_names(split);
    data::write_idx_images(dir + "/" + names[0], px, n, 28, 28);
    data::write_idx_labels(dir + "/" + names[1], lb);
    for (const auto& name : names) {
      write_bytes(dir + "/" + name + ".gz", data::detail::gzip(read_bytes(dir + "/" + name)));
      std::filesystem::remove(dir + "/" + name);
    }
  };
  one(data::Split::Train, n_train);
  one(data::Split::Test, n_test);
}

/// The regular files directly in dir, by name (hidden ones included).
inline std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ember::test
