// Run-folder and resume checks for `ember train` (see run_folder.h).
#include "run_folder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace ember::cli {
namespace fs = std::filesystem;

std::vector<std::string> existing_run_files(const std::string& out) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const char* f : kRunFiles)
    if (fs::exists(fs::path(out) / f, ec)) found.push_back(f);
  return found;
}

void check_out_folder(const TrainConfig& c) {
  if (c.resume || c.force) return;
  const std::vector<std::string> found = existing_run_files(c.out);
  if (found.empty()) return;
  std::string list;
  for (const std::string& f : found) list += (list.empty() ? "" : ", ") + f;
  EMBER_FAIL("--out ", c.out, " already holds a run (", list, "); pass --resume to continue it, --force to replace it, "
             "or choose another --out");
}

void remove_run_files(const std::string& out) {
  for (const char* f : kRunFiles) {
    std::error_code ec;
    fs::remove(fs::path(out) / f, ec);
    EMBER_CHECK(!ec, "--force: cannot delete ", out, "/", f, ": ", ec.message());
  }
}

namespace {

std::string flag_of(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return "--" + key;
}

bool same_number(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b)); }

}  // namespace

void reconcile_resume_config(const std::string& path, const std::string& saved_config, TrainConfig& c) {
  const nlohmann::json saved = nlohmann::json::parse(saved_config, nullptr, false);
  if (saved.is_discarded() || !saved.is_object()) EMBER_FAIL("checkpoint ", path, " has a malformed config");
  const nlohmann::json now = c.to_json();
  auto refuse = [&](const std::string& key, const std::string& why) {
    const std::string flag = flag_of(key);
    EMBER_FAIL("checkpoint ", path, " was written with ", flag, " ", saved[key].dump(), " but this run has ",
               now[key].dump(), "; ", why, " Resume with ", flag, " ", saved[key].dump(),
               ", or train into a new --out (or this one with --force)");
  };
  for (const char* k : {"optimizer", "schedule"})
    if (saved.contains(k) && saved[k] != now[k]) refuse(k, "a resumed run continues the saved optimizer and schedule.");
  if (saved.contains("dataset") && saved["dataset"] != now["dataset"])
    refuse("dataset", "a resumed run continues training on the same data.");
  for (const char* k : {"data_file", "context", "layers", "heads", "width", "dropout"})
    if (saved.contains(k) && saved[k] != now[k]) refuse(k, "a resumed run continues the same model on the same text.");
  if (saved.contains("steps_per_epoch") && saved["steps_per_epoch"] != now["steps_per_epoch"])
    refuse("steps_per_epoch", "the windows of a step depend on the epoch length.");
  if (c.schedule != "none")
    for (const char* k : {"epochs", "batch_size", "train_limit"})
      if (saved.contains(k) && saved[k] != now[k])
        refuse(k, "the " + c.schedule + " learning-rate schedule was laid out for the saved run's length.");
  // The saved optimizer state carries the learning rate and weight decay (and the schedule its
  // peak): a value given now would not take effect, so it must match; one not given is taken over.
  struct Hyper {
    const char* key;
    double& value;
    bool given;
  };
  for (Hyper h : {Hyper{"lr", c.lr, c.lr > 0}, Hyper{"weight_decay", c.weight_decay, c.weight_decay >= 0}}) {
    if (!saved.contains(h.key) || !saved[h.key].is_number()) continue;
    const double s = saved[h.key].get<double>();
    if (!h.given) h.value = s;
    else if (!same_number(h.value, s))
      refuse(h.key, "a resumed run continues with the checkpoint's optimizer state and schedule, so " + flag_of(h.key) +
                        " would not take effect.");
  }
}

}  // namespace ember::cli
