// MNIST and Fashion-MNIST: the IDX file format (reading plain or gzip-compressed files, writing
// them atomically) and MnistDataset, the four standard files of a split held in memory as uint8.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ember/data/dataset.h"

namespace ember::data {

/// The pixels of an IDX image file (magic 0x00000803): count images of rows x cols, row-major.
struct IdxImages {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;
};

/// Reads an IDX image file, plain or gzip (detected by the 1f 8b magic bytes). Checks the
/// magic, the dims and the exact length. Throws ember::Error naming the file and the problem.
/// A gzip file is inflated only up to the size its header declares (plus one byte to detect
/// more): a small .gz that would inflate to gigabytes fails there, and a header declaring more
/// than the compressed size could hold (deflate's 1032:1) is refused before allocating.
IdxImages read_idx_images(const std::string& path);
/// Reads an IDX label file (magic 0x00000801); same checks as read_idx_images.
std::vector<uint8_t> read_idx_labels(const std::string& path);

/// Writes an IDX image file atomically (temp file in the same directory, fsync, rename);
/// gzip-compressed when path ends in ".gz". Requires pixels.size() == count*rows*cols.
void write_idx_images(const std::string& path, const std::vector<uint8_t>& pixels, int64_t count,
                      int64_t rows, int64_t cols);
/// Writes an IDX label file atomically; gzip-compressed when path ends in ".gz".
void write_idx_labels(const std::string& path, const std::vector<uint8_t>& labels);

/// The standard file names of a split without extension: {images, labels}, e.g.
/// {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}.
std::vector<std::string> mnist_file_names(Split split);
/// The path of an existing file `name` or `name.gz` in dir (plain preferred); throws
/// ember::Error naming both candidates and the `ember data fetch <dataset>` command when
/// neither exists.
std::string find_mnist_file(const std::string& dir, const std::string& name, const std::string& dataset = "mnist");

/// MNIST, Fashion-MNIST (same files, same layout) or any 28x28 IDX set with labels 0..9 from
/// dir: train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] or the t10k-* pair. Checks
/// magic numbers, 28x28 images, equal image and label counts, the exact file lengths and labels
/// < 10; `dataset` ("mnist", "fashion-mnist") only names the data set in errors. Example i is a
/// float32 (1,28,28) image scaled to [0,1] and a 0-dim int64 label; batches are (N,1,28,28) / (N).
class MnistDataset : public Dataset {
 public:
  MnistDataset(const std::string& dir, Split split, const std::string& dataset = "mnist");
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  Example get(int64_t i) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;

  const std::vector<uint8_t>& pixels() const { return pixels_; }  // size()*784, row-major
  const std::vector<uint8_t>& labels() const { return labels_; }
  const std::string& images_path() const { return images_path_; }
  const std::string& labels_path() const { return labels_path_; }

  static constexpr int64_t kRows = 28, kCols = 28, kClasses = 10;

 private:
  std::vector<uint8_t> pixels_, labels_;
  std::string images_path_, labels_path_;
};

}  // namespace ember::data
