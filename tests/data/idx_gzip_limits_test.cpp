// Decompression limits of the IDX reader (issue 22, item 4): a .gz IDX file is inflated only
// up to the size its header declares, so a small file holding hundreds of megabytes of zeros
// fails fast without the memory; a header that claims more than the compressed bytes can hold
// is refused before allocating. Also GzipReader itself: chunked reads equal gunzip, members
// concatenated by `cat` are one stream, and truncation is an error.
#include <sys/resource.h>
#include <zlib.h>

#include <chrono>

#include "data/file_util.h"
#include "data/test_dir.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::data;
using namespace ember::test;

namespace {

/// A gzip stream of `head` followed by `zeros` zero bytes, deflated 1 MiB at a time (so the
/// test never holds the inflated size in memory).
std::vector<uint8_t> gzip_with_zeros(const std::vector<uint8_t>& head, uint64_t zeros) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out, buf(1 << 16), block(1 << 20, 0);
  auto pump = [&](const uint8_t* p, size_t n, int flush) {
    zs.next_in = const_cast<Bytef*>(p);
    zs.avail_in = static_cast<uInt>(n);
    do {
      zs.next_out = buf.data();
      zs.avail_out = static_cast<uInt>(buf.size());
      deflate(&zs, flush);
      out.insert(out.end(), buf.begin(), buf.end() - zs.avail_out);
    } while (zs.avail_out == 0 || (flush == Z_FINISH && zs.avail_in != 0));
  };
  pump(head.data(), head.size(), Z_NO_FLUSH);
  for (uint64_t left = zeros; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
    pump(block.data(), n, Z_NO_FLUSH);
    left -= n;
  }
  pump(nullptr, 0, Z_FINISH);
  deflateEnd(&zs);
  return out;
}

std::vector<uint8_t> be32s(std::initializer_list<uint32_t> values) {
  std::vector<uint8_t> out;
  for (uint32_t v : values)
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  return out;
}

int64_t peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_maxrss) / 1024;  // Linux: KiB
}

}  // namespace

// A 10-image header followed by 200 MB of zeros (about 200 KB of gzip): the reader stops one
// byte past the declared 16 + 7,840 bytes. The old reader inflated everything (hundreds of MB
// of memory) before noticing; the peak-memory check fails on it.
TEST(IdxGzipLimits, BombStopsAtTheDeclaredSize) {
  TestDir dir;
  const uint64_t zeros = 200ull << 20;
  std::vector<uint8_t> gz = gzip_with_zeros(be32s({0x00000803, 10, 28, 28}), zeros);
  ASSERT_LT(gz.size(), 1u << 20);
  write_bytes(dir / "bomb.gz", gz);
  gz.clear();
  gz.shrink_to_fit();

  const int64_t rss_before = peak_rss_mib();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EMBER_ERROR(read_idx_images(dir / "bomb.gz"), "bomb.gz", "oversized IDX images file",
                     "inflates beyond the 7856 bytes its header declares");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(peak_rss_mib() - rss_before, 64) << "MiB of peak memory grew while reading a 7,856-byte file";
  EXPECT_LT(seconds, 5.0);  // inflating the whole 200 MB would not fail this, the memory check does
}

TEST(IdxGzipLimits, LabelBombStopsAtTheDeclaredSize) {
  TestDir dir;
  write_bytes(dir / "labels.gz", gzip_with_zeros(be32s({0x00000801, 5}), 50ull << 20));
  EXPECT_EMBER_ERROR(read_idx_labels(dir / "labels.gz"), "oversized IDX labels file", "the 13 bytes its header declares");
}

// A header claiming 4 billion images in a few bytes of gzip is refused before any allocation.
TEST(IdxGzipLimits, HeaderClaimingMoreThanGzipCanHoldIsRefused) {
  TestDir dir;
  write_bytes(dir / "liar.gz", gzip_with_zeros(be32s({0x00000803, 0xffffffffu, 28, 28}), 100));
  EXPECT_EMBER_ERROR(read_idx_images(dir / "liar.gz"), "liar.gz", "truncated IDX images file", "header declares",
                     "more than", "bytes of gzip data can hold");
}

TEST(IdxGzipLimits, ExactAndShortPayloads) {
  TestDir dir;
  // Exactly the declared size (zeros as pixels): read.
  write_bytes(dir / "ok.gz", gzip_with_zeros(be32s({0x00000803, 3, 28, 28}), 3 * 784));
  IdxImages im = read_idx_images(dir / "ok.gz");
  EXPECT_EQ(im.count, 3);
  EXPECT_EQ(im.pixels.size(), 3u * 784);
  // One byte short: truncated, naming both sizes.
  write_bytes(dir / "short.gz", gzip_with_zeros(be32s({0x00000803, 3, 28, 28}), 3 * 784 - 1));
  EXPECT_EMBER_ERROR(read_idx_images(dir / "short.gz"), "truncated IDX images file", "inflates to 2367 bytes",
                     "header says 2368");
  // A header cut short inside the gzip data.
  write_bytes(dir / "head.gz", gzip_with_zeros({0, 0, 8, 3, 0, 0}, 0));
  EXPECT_EMBER_ERROR(read_idx_images(dir / "head.gz"), "truncated IDX images header", "6 of 16 bytes");
}

TEST(GzipReader, ChunkedReadsEqualGunzipAcrossMembers) {
  std::vector<uint8_t> a(100000), b(5000);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7 + i / 300);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(255 - i % 13);
  std::vector<uint8_t> gz = data::detail::gzip(a), gb = data::detail::gzip(b);
  gz.insert(gz.end(), gb.begin(), gb.end());  // `cat a.gz b.gz`
  std::vector<uint8_t> want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(data::detail::gunzip(gz, "x"), want);

  data::detail::GzipReader r(gz, "x");
  std::vector<uint8_t> got(want.size() + 10);
  size_t pos = 0;
  for (size_t chunk = 1; pos < got.size(); chunk = chunk * 3 + 1) {
    const size_t n = std::min(chunk, got.size() - pos), k = r.read(got.data() + pos, n);
    pos += k;
    if (k < n) break;
  }
  got.resize(pos);
  EXPECT_EQ(got, want);
  EXPECT_EQ(r.produced(), want.size());
  uint8_t more = 0;
  EXPECT_EQ(r.read(&more, 1), 0u);  // stays at the end

  std::vector<uint8_t> cut(gz.begin(), gz.begin() + 1000);
  data::detail::GzipReader t(cut, "cut.gz");
  std::vector<uint8_t> sink(want.size());
  EXPECT_EMBER_ERROR(t.read(sink.data(), sink.size()), "cut.gz", "truncated gzip data");
}
