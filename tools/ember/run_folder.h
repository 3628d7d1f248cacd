// The checks `ember train` makes before it touches its --out folder: a folder that already holds
// a run is continued (--resume) or replaced (--force), never silently overwritten; a resumed run
// keeps the optimizer and schedule its checkpoint was written with, so flags that would not take
// effect (another --lr, --epochs, --optimizer...) are refused up front, naming the flag.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "recipe.h"

namespace ember::cli {

/// The files ember train writes into a run folder.
inline constexpr const char* kRunFiles[] = {"checkpoint", "model.safetensors", "metrics.jsonl", "curves.png"};

/// Which of kRunFiles exist in `out` (none when the folder does not exist).
std::vector<std::string> existing_run_files(const std::string& out);

/// Throws ember::Error naming the folder and its run files when c.out holds a run and neither
/// c.resume nor c.force is set.
void check_out_folder(const TrainConfig& c);

/// Deletes kRunFiles from `out` (--force, once every other check has passed).
void remove_run_files(const std::string& out);

/// Makes c agree with the config a checkpoint (at `path`) was written with, or throws naming
/// the flag: --dataset, --optimizer and --schedule must match, and with a schedule also --epochs,
/// --batch-size and --train-limit (its length); --lr and --weight-decay, which the saved
/// optimizer and schedule carry, are taken from the checkpoint when not given and refused when
/// given with another value. Requires `saved_config` as written by TrainConfig::to_json().
void reconcile_resume_config(const std::string& path, const std::string& saved_config, TrainConfig& c);

}  // namespace ember::cli
