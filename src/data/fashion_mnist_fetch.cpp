// fetch_fashion_mnist: puts Fashion-MNIST's 60,000/10,000 IDX files into a directory. Sources:
// the files already there (cache), Zalando's public mirrors (data/fetch_common.cpp), or the
// files of Debian's package dataset-fashion-mnist, installed with apt-get first when they are
// missing and the process may (root), else named in the error with the command to run.
#include <filesystem>

#include "data/fetch_common.h"
#include "data/file_util.h"
#include "ember/data/fetch.h"
#include "ember/error.h"

namespace ember::data {

namespace {

namespace fs = std::filesystem;
using detail::say;

const detail::IdxDatasetSpec& spec() {
  static const detail::IdxDatasetSpec s{"fashion-mnist", "fetch_fashion_mnist", 60000, 10000,
                                        FetchOptions::default_mirrors("fashion-mnist")};
  return s;
}

/// The package's .gz files that debian_dir lacks, space-separated ("" when it has all four).
std::string missing_files(const std::string& debian_dir) {
  std::string missing;
  for (const auto& name : detail::idx_file_names())
    if (!detail::file_exists(detail::join_path(debian_dir, name + ".gz")))
      missing += (missing.empty() ? "" : " ") + name + ".gz";
  return missing;
}

/// Runs o.debian_install_command (in a temporary folder inside dir), logging its output.
void install_package(const std::string& dir, const FetchOptions& o) {
  EMBER_CHECK(!o.debian_install_command.empty(), "no command to install ", kDebianFashionMnistPackage, " with");
  std::string command;
  for (const auto& a : o.debian_install_command) command += (command.empty() ? "" : " ") + a;
  say(o, std::string("installing Debian's package ") + kDebianFashionMnistPackage + " (running as root): " + command);
  detail::TempDir tmp(dir, ".fetch-debian-");
  const double limit = std::max(300.0, 30 * o.timeout_s);
  auto r = detail::run_command(o.debian_install_command, tmp.path(), limit);
  for (size_t start = 0; start < r.output.size();) {
    size_t end = r.output.find('\n', start);
    if (end == std::string::npos) end = r.output.size();
    say(o, "  " + r.output.substr(start, end - start));
    start = end + 1;
  }
  EMBER_CHECK(r.started, command, ": ", r.output);
  EMBER_CHECK(!r.timed_out, command, ": timed out after ", limit, " s");
  EMBER_CHECK(r.exit_code == 0, command, ": exit code ", r.exit_code,
              " (if apt-get cannot locate the package, run `apt-get update` first): ", r.output);
}

FetchResult fetch_from_debian(const std::string& dir, const FetchOptions& o) {
  const std::string& src = o.debian_dir;
  std::string missing = missing_files(src);
  if (!missing.empty()) {
    EMBER_CHECK(o.debian_install, src, " lacks ", missing, ": install Debian's package ", kDebianFashionMnistPackage,
                " (`sudo apt install ", kDebianFashionMnistPackage, "`), or pass the folder that holds its files");
    say(o, src + " lacks " + missing);
    install_package(dir, o);
    missing = missing_files(src);
    EMBER_CHECK(missing.empty(), "installed ", kDebianFashionMnistPackage, ", but ", src, " still lacks ", missing);
  }
  detail::TempDir tmp(dir, ".fetch-debian-");
  const auto names = detail::idx_file_names();
  for (const auto& name : names) {
    const std::string from = detail::join_path(src, name + ".gz"), to = detail::join_path(tmp.path(), name + ".gz");
    say(o, "copying " + from);
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    EMBER_CHECK(!ec, "cannot copy ", from, " to ", to, ": ", ec.message());
  }
  detail::check_counts(detail::verify_idx_dir(tmp.path(), spec().name, FetchSource::Debian, src), spec(), src);
  for (const auto& name : names) detail::install_file(tmp.path(), dir, name, ".gz");
  return detail::verify_idx_dir(dir, spec().name, FetchSource::Debian, src);
}

}  // namespace

FetchResult fetch_fashion_mnist(const std::string& dir, const FetchOptions& o) {
  return detail::fetch_idx_dataset(spec(), dir, o,
                                   {FetchSource::Debian, std::string("debian ") + kDebianFashionMnistPackage, fetch_from_debian});
}

}  // namespace ember::data
