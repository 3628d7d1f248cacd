// MNIST IDX files: reading (plain or gzip, with magic/dims/length checks that name the file),
// atomic writing, and MnistDataset holding a split as uint8 with fast batch assembly.
#include "ember/data/mnist.h"

#include <cstring>

#include "data/file_util.h"
#include "data/u8_batch.h"

namespace ember::data {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803, kLabelsMagic = 0x00000801;

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

/// The IDX payload of `path` after checking its magic, header length and exact total length.
/// dims receives the header's dims; the header is 4 + 4*ndims bytes.
std::vector<uint8_t> read_idx(const std::string& path, uint32_t magic, const char* what,
                              std::vector<uint64_t>& dims) {
  std::vector<uint8_t> b = detail::read_maybe_gzip(path);
  EMBER_CHECK(b.size() >= 4, path, ": truncated IDX ", what, " file (", b.size(), " bytes, no header)");
  uint32_t m = be32(b.data());
  EMBER_CHECK(m == magic, path, ": bad magic number ", hex32(m), " for an IDX ", what, " file (expected ",
              hex32(magic), ")");
  size_t nd = magic & 0xff;
  size_t header = 4 + 4 * nd;
  EMBER_CHECK(b.size() >= header, path, ": truncated IDX ", what, " header (", b.size(), " of ", header, " bytes)");
  dims.clear();
  uint64_t payload = 1;
  for (size_t d = 0; d < nd; ++d) {
    dims.push_back(be32(b.data() + 4 + 4 * d));
    // Saturate instead of overflowing on a corrupt header (it then fails the length check).
    payload = dims.back() != 0 && payload > (uint64_t(1) << 62) / dims.back() ? (uint64_t(1) << 62)
                                                                                : payload * dims.back();
  }
  uint64_t want = header + payload;
  EMBER_CHECK(b.size() == want, path, ": ", b.size() < want ? "truncated" : "oversized", " IDX ", what,
              " file: ", b.size(), " bytes, header says ", want);
  return std::vector<uint8_t>(b.begin() + static_cast<std::ptrdiff_t>(header), b.end());
}

void write_bytes(const std::string& path, std::vector<uint8_t> bytes) {
  if (detail::ends_with(path, ".gz")) bytes = detail::gzip(bytes);
  detail::write_file_atomic(path, bytes);
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  std::vector<uint64_t> dims;
  IdxImages r;
  r.pixels = read_idx(path, kImagesMagic, "images", dims);
  r.count = static_cast<int64_t>(dims[0]);
  r.rows = static_cast<int64_t>(dims[1]);
  r.cols = static_cast<int64_t>(dims[2]);
  return r;
}

std::vector<uint8_t> read_idx_labels(const std::string& path) {
  std::vector<uint64_t> dims;
  return read_idx(path, kLabelsMagic, "labels", dims);
}

void write_idx_images(const std::string& path, const std::vector<uint8_t>& pixels, int64_t count, int64_t rows,
                      int64_t cols) {
  EMBER_CHECK(count >= 0 && rows >= 1 && cols >= 1 && count <= 0xffffffffLL && rows <= 0xffffffffLL &&
                  cols <= 0xffffffffLL,
              "write_idx_images: ", path, ": bad dims ", count, "x", rows, "x", cols);
  EMBER_CHECK(static_cast<int64_t>(pixels.size()) == count * rows * cols, "write_idx_images: ", path, ": ",
              pixels.size(), " pixels for ", count, " images of ", rows, "x", cols);
  std::vector<uint8_t> out;
  out.reserve(16 + pixels.size());
  put_be32(out, kImagesMagic);
  put_be32(out, static_cast<uint32_t>(count));
  put_be32(out, static_cast<uint32_t>(rows));
  put_be32(out, static_cast<uint32_t>(cols));
  out.insert(out.end(), pixels.begin(), pixels.end());
  write_bytes(path, std::move(out));
}

void write_idx_labels(const std::string& path, const std::vector<uint8_t>& labels) {
  EMBER_CHECK(labels.size() <= 0xffffffffULL, "write_idx_labels: ", path, ": too many labels");
  std::vector<uint8_t> out;
  out.reserve(8 + labels.size());
  put_be32(out, kLabelsMagic);
  put_be32(out, static_cast<uint32_t>(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  write_bytes(path, std::move(out));
}

std::vector<std::string> mnist_file_names(Split split) {
  if (split == Split::Train) return {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"};
  return {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
}

std::string find_mnist_file(const std::string& dir, const std::string& name) {
  std::string plain = detail::join_path(dir, name);
  if (detail::file_exists(plain)) return plain;
  if (detail::file_exists(plain + ".gz")) return plain + ".gz";
  EMBER_FAIL("MnistDataset: ", plain, "[.gz]: file not found (run `ember data fetch mnist --dir ", dir, "`)");
}

MnistDataset::MnistDataset(const std::string& dir, Split split) {
  auto names = mnist_file_names(split);
  images_path_ = find_mnist_file(dir, names[0]);
  labels_path_ = find_mnist_file(dir, names[1]);
  IdxImages im = read_idx_images(images_path_);
  EMBER_CHECK(im.rows == kRows && im.cols == kCols, images_path_, ": images are ", im.rows, "x", im.cols,
              ", MNIST expects 28x28");
  labels_ = read_idx_labels(labels_path_);
  EMBER_CHECK(static_cast<int64_t>(labels_.size()) == im.count, "MnistDataset: ", images_path_, " holds ",
              im.count, " images but ", labels_path_, " holds ", labels_.size(), " labels");
  for (size_t i = 0; i < labels_.size(); ++i)
    EMBER_CHECK(labels_[i] < kClasses, labels_path_, ": label ", int(labels_[i]), " at index ", i,
                " is not a digit 0..9");
  pixels_ = std::move(im.pixels);
}

Example MnistDataset::get(int64_t i) const {
  check_index("MnistDataset::get", i);
  Tensor x = empty({1, kRows, kCols});
  float* p = x.data_ptr<float>();
  const uint8_t* src = pixels_.data() + i * kRows * kCols;
  for (int64_t k = 0; k < kRows * kCols; ++k) p[k] = src[k] * (1.0f / 255.0f);
  return Example{x, scalar_tensor(labels_[static_cast<size_t>(i)], DType::Int64)};
}

Batch MnistDataset::get_batch(const std::vector<int64_t>& indices) const {
  EMBER_CHECK(!indices.empty(), "MnistDataset::get_batch: empty index list");
  for (int64_t i : indices) check_index("MnistDataset::get_batch", i);
  return detail::make_u8_batch(pixels_, labels_, indices, {1, kRows, kCols});
}

}  // namespace ember::data
