// MNIST / Fashion-MNIST IDX files: reading (plain or gzip, with magic/dims/length checks that name the file),
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

/// The product of the IDX dims, saturated at 2^62 on a corrupt header (so it fails the checks).
uint64_t payload_size(const std::vector<uint64_t>& dims) {
  uint64_t payload = 1;
  for (uint64_t d : dims)
    payload = d != 0 && payload > (uint64_t(1) << 62) / d ? (uint64_t(1) << 62) : payload * d;
  return payload;
}

/// Checks the magic in the first 4 bytes of `head` and returns the number of dims it declares.
size_t check_magic(const uint8_t* head, size_t have, uint32_t magic, const std::string& path, const char* what) {
  EMBER_CHECK(have >= 4, path, ": truncated IDX ", what, " file (", have, " bytes, no header)");
  uint32_t m = be32(head);
  EMBER_CHECK(m == magic, path, ": bad magic number ", hex32(m), " for an IDX ", what, " file (expected ",
              hex32(magic), ")");
  return magic & 0xff;
}

/// The IDX payload of gzip data: inflates the header, then exactly the payload it declares and
/// not one byte further, so a small .gz that would inflate to gigabytes (a decompression bomb)
/// fails after the declared size instead of being inflated whole.
std::vector<uint8_t> read_idx_gzip(const std::vector<uint8_t>& gz, const std::string& path, uint32_t magic,
                                   const char* what, std::vector<uint64_t>& dims) {
  detail::GzipReader reader(gz, path);
  uint8_t head[4 + 4 * 255];
  const size_t nd = check_magic(head, reader.read(head, 4), magic, path, what);
  const size_t header = 4 + 4 * nd;
  const size_t got = 4 + reader.read(head + 4, 4 * nd);
  EMBER_CHECK(got == header, path, ": truncated IDX ", what, " header (", got, " of ", header, " bytes)");
  for (size_t d = 0; d < nd; ++d) dims.push_back(be32(head + 4 + 4 * d));
  const uint64_t payload = payload_size(dims), want = header + payload;
  // Refused before allocating: more than deflate can hold in this many compressed bytes.
  const uint64_t most = static_cast<uint64_t>(gz.size()) * detail::kMaxDeflateRatio;
  EMBER_CHECK(want <= most, path, ": truncated IDX ", what, " file: its header declares ", want,
              " bytes, more than ", gz.size(), " bytes of gzip data can hold (at most ", most, ")");
  std::vector<uint8_t> out(static_cast<size_t>(payload));
  const uint64_t body = reader.read(out.data(), out.size());
  EMBER_CHECK(body == payload, path, ": truncated IDX ", what, " file: the gzip data inflates to ", header + body,
              " bytes, header says ", want);
  uint8_t extra = 0;
  EMBER_CHECK(reader.read(&extra, 1) == 0, path, ": oversized IDX ", what, " file: the gzip data inflates beyond the ",
              want, " bytes its header declares (stopped inflating there)");
  return out;
}

/// The IDX payload of `path` (plain or gzip) after checking its magic, header length and exact
/// total length. dims receives the header's dims; the header is 4 + 4*ndims bytes.
std::vector<uint8_t> read_idx(const std::string& path, uint32_t magic, const char* what,
                              std::vector<uint64_t>& dims) {
  dims.clear();
  std::vector<uint8_t> b = detail::read_file(path);
  if (detail::is_gzip(b)) return read_idx_gzip(b, path, magic, what, dims);
  const size_t nd = check_magic(b.data(), b.size(), magic, path, what);
  const size_t header = 4 + 4 * nd;
  EMBER_CHECK(b.size() >= header, path, ": truncated IDX ", what, " header (", b.size(), " of ", header, " bytes)");
  for (size_t d = 0; d < nd; ++d) dims.push_back(be32(b.data() + 4 + 4 * d));
  const uint64_t want = header + payload_size(dims);
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

std::string find_mnist_file(const std::string& dir, const std::string& name, const std::string& dataset) {
  std::string plain = detail::join_path(dir, name);
  if (detail::file_exists(plain)) return plain;
  if (detail::file_exists(plain + ".gz")) return plain + ".gz";
  EMBER_FAIL(dataset, ": ", plain, "[.gz]: file not found (run `ember data fetch ", dataset, " --dir ", dir, "`)");
}

MnistDataset::MnistDataset(const std::string& dir, Split split, const std::string& dataset) {
  auto names = mnist_file_names(split);
  images_path_ = find_mnist_file(dir, names[0], dataset);
  labels_path_ = find_mnist_file(dir, names[1], dataset);
  IdxImages im = read_idx_images(images_path_);
  EMBER_CHECK(im.rows == kRows && im.cols == kCols, images_path_, ": images are ", im.rows, "x", im.cols, ", ",
              dataset, " expects 28x28");
  labels_ = read_idx_labels(labels_path_);
  EMBER_CHECK(static_cast<int64_t>(labels_.size()) == im.count, dataset, ": ", images_path_, " holds ", im.count,
              " images but ", labels_path_, " holds ", labels_.size(), " labels");
  for (size_t i = 0; i < labels_.size(); ++i)
    EMBER_CHECK(labels_[i] < kClasses, labels_path_, ": label ", int(labels_[i]), " at index ", i,
                " is not a class 0..9");
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
