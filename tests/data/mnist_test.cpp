// MNIST IDX tests: plain and gzip round trips, MnistDataset values and batches, and every
// corruption case (missing file, bad magic, truncation, wrong dims, count mismatch, bad
// labels, corrupt gzip) failing with an ember::Error that names the file.
#include <filesystem>

#include "data/test_dir.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::data;
using namespace ember::test;

namespace {

std::vector<uint8_t> pattern_pixels(int64_t n, int64_t plane) {
  std::vector<uint8_t> px(static_cast<size_t>(n * plane));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 37 + i / 7) % 256);
  return px;
}

std::vector<uint8_t> pattern_labels(int64_t n) {
  std::vector<uint8_t> lb(static_cast<size_t>(n));
  for (size_t i = 0; i < lb.size(); ++i) lb[i] = static_cast<uint8_t>((i * 3) % 10);
  return lb;
}

/// Writes a small valid train split (n images) into dir, plain or gzipped.
void write_split(const std::string& dir, int64_t n, bool gz, const std::string& prefix = "train") {
  std::string ext = gz ? ".gz" : "";
  write_idx_images(dir + "/" + prefix + "-images-idx3-ubyte" + ext, pattern_pixels(n, 784), n, 28, 28);
  write_idx_labels(dir + "/" + prefix + "-labels-idx1-ubyte" + ext, pattern_labels(n));
}

}  // namespace

TEST(Idx, RoundTripPlainAndGzip) {
  TestDir dir;
  for (bool gz : {false, true}) {
    std::string ip = dir / (gz ? "img.gz" : "img"), lp = dir / (gz ? "lab.gz" : "lab");
    auto px = pattern_pixels(5, 6 * 4);
    write_idx_images(ip, px, 5, 6, 4);
    write_idx_labels(lp, pattern_labels(5));
    auto raw = read_bytes(ip);
    ASSERT_GE(raw.size(), 2u);
    EXPECT_EQ(raw[0] == 0x1f && raw[1] == 0x8b, gz);
    if (!gz) {
      EXPECT_EQ(raw.size(), 16u + px.size());
      EXPECT_EQ(raw[3], 0x03);  // magic 0x00000803, big-endian
      EXPECT_EQ(raw[7], 5);     // count
    }
    IdxImages im = read_idx_images(ip);
    EXPECT_EQ(im.count, 5);
    EXPECT_EQ(im.rows, 6);
    EXPECT_EQ(im.cols, 4);
    EXPECT_EQ(im.pixels, px);
    EXPECT_EQ(read_idx_labels(lp), pattern_labels(5));
  }
  // gzip is detected by its magic bytes, not the name.
  std::filesystem::rename(dir / "img.gz", dir / "img_no_suffix");
  EXPECT_EQ(read_idx_images(dir / "img_no_suffix").pixels, pattern_pixels(5, 24));
  // Atomic writes leave no temporary files behind.
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(MnistDataset, ReadsPlainAndGzipSplits) {
  TestDir dir;
  write_split(dir.path(), 7, false, "train");
  write_split(dir.path(), 3, true, "t10k");
  MnistDataset train(dir.path(), Split::Train), test(dir.path(), Split::Test);
  EXPECT_EQ(train.size(), 7);
  EXPECT_EQ(test.size(), 3);
  EXPECT_NE(test.images_path().find(".gz"), std::string::npos);
  auto px = pattern_pixels(7, 784);
  Example e = train.get(2);
  EXPECT_EQ(e.input.shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(e.input.dtype(), kFloat32);
  EXPECT_EQ(e.target.dim(), 0);
  EXPECT_EQ(e.target.item<int64_t>(), 6);
  EXPECT_FLOAT_EQ(e.input.to_vector<float>()[100], px[2 * 784 + 100] / 255.0f);
  Batch b = train.get_batch({2, 0, 6});
  EXPECT_EQ(b.inputs.shape(), (Shape{3, 1, 28, 28}));
  EXPECT_EQ(b.targets.shape(), (Shape{3}));
  EXPECT_EQ(b.targets.dtype(), kInt64);
  EXPECT_EQ(b.targets.to_vector<int64_t>(), (std::vector<int64_t>{6, 0, 8}));
  EXPECT_ALLCLOSE(b.inputs.select(0, 0), e.input, 0, 0);
  // The default Dataset::get_batch (stacking get()) agrees with the fast path.
  Batch slow = train.Dataset::get_batch({2, 0, 6});
  EXPECT_ALLCLOSE(slow.inputs, b.inputs, 0, 0);
  EXPECT_ALLCLOSE(slow.targets, b.targets, 0, 0);
  EXPECT_EMBER_ERROR(train.get(7), "MnistDataset::get", "7");
  EXPECT_EMBER_ERROR(train.get_batch({0, -1}), "MnistDataset::get_batch", "-1");
}

TEST(MnistDataset, MissingFileNamesIt) {
  TestDir dir;
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte", "not found");
  write_idx_images(dir / "train-images-idx3-ubyte", pattern_pixels(2, 784), 2, 28, 28);
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-labels-idx1-ubyte", "not found");
}

TEST(MnistDataset, BadMagicNamesFile) {
  TestDir dir;
  write_split(dir.path(), 2, false);
  // A labels file where the images file should be.
  write_idx_labels(dir / "train-images-idx3-ubyte", pattern_labels(2));
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte", "bad magic", "0x00000801");
  write_split(dir.path(), 2, false);
  auto b = read_bytes(dir / "train-labels-idx1-ubyte");
  b[2] = 0x09;
  write_bytes(dir / "train-labels-idx1-ubyte", b);
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-labels-idx1-ubyte", "bad magic");
}

TEST(MnistDataset, TruncatedAndOversizedFilesNameFile) {
  TestDir dir;
  write_split(dir.path(), 3, false);
  std::string ip = dir / "train-images-idx3-ubyte";
  auto b = read_bytes(ip);
  write_bytes(ip, std::vector<uint8_t>(b.begin(), b.end() - 1));
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte", "truncated");
  write_bytes(ip, std::vector<uint8_t>(b.begin(), b.begin() + 10));  // inside the header
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte", "truncated");
  write_bytes(ip, {});
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte", "truncated");
  auto longer = b;
  longer.push_back(0);
  write_bytes(ip, longer);
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte", "oversized");
  // A gzip file cut short.
  write_split(dir.path(), 3, true);
  std::filesystem::remove(ip);
  auto gz = read_bytes(ip + ".gz");
  write_bytes(ip + ".gz", std::vector<uint8_t>(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2)));
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte.gz", "gzip");
  // Corrupt deflate data after a valid gzip header.
  for (size_t i = 12; i < gz.size(); ++i) gz[i] = static_cast<uint8_t>(gz[i] ^ 0x5a);
  write_bytes(ip + ".gz", gz);
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte.gz", "gzip");
}

TEST(MnistDataset, CountMismatchNamesBothFiles) {
  TestDir dir;
  write_split(dir.path(), 4, false);
  write_idx_labels(dir / "train-labels-idx1-ubyte", pattern_labels(3));
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                     "4 images", "3 labels");
}

TEST(MnistDataset, WrongDimsAndLabelsNameFile) {
  TestDir dir;
  write_split(dir.path(), 2, false);
  write_idx_images(dir / "train-images-idx3-ubyte", pattern_pixels(2, 32 * 28), 2, 32, 28);
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-images-idx3-ubyte", "32x28", "28x28");
  write_split(dir.path(), 2, false);
  write_idx_labels(dir / "train-labels-idx1-ubyte", {3, 12});
  EXPECT_EMBER_ERROR(MnistDataset(dir.path(), Split::Train), "train-labels-idx1-ubyte", "label 12");
}

TEST(Idx, WriteChecksArguments) {
  TestDir dir;
  EXPECT_EMBER_ERROR(write_idx_images(dir / "x", std::vector<uint8_t>(10), 2, 28, 28), "write_idx_images", "10 pixels");
  EXPECT_EMBER_ERROR(write_idx_images(dir.path() + "/no/such/dir/x", std::vector<uint8_t>(4), 1, 2, 2), "no/such/dir/x");
  EXPECT_EMBER_ERROR(read_idx_labels(dir / "absent"), "absent", "not found");
}
