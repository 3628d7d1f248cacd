// Flag checks shared by the subcommands, with short messages: numbers ("'abc' is not a number",
// "'-1' must be a whole number >= 0"), device names (syntax at parse time, existence when a
// command starts), and "did you mean" suggestions for unknown flags.
#pragma once
#include <stdexcept>
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::cli {

/// A combination of flags that cannot work together (found after parsing): main prints it and
/// exits 2, as for a parse error.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};


/// A real number in [lo, hi]; lo_open makes it (lo, hi]. Messages name the value, not the range
/// when the bound is infinite ("must be > 0").
CLI::Validator real_in(double lo, double hi, bool lo_open = false);
/// A whole number (decimal, optional '-') in [lo, hi].
CLI::Validator whole_in(int64_t lo, int64_t hi);
/// A whole number in [0, 2^64 - 1] (seeds): "-1" is refused rather than wrapped.
CLI::Validator unsigned_whole();
/// A device name Device() parses ("cpu", "opencl:0", "cuda:1"); whether it exists is checked by
/// resolve_device when the command runs.
CLI::Validator device_syntax();

/// The device `spec` names, when it exists on this machine; otherwise ember::Error naming it
/// and listing the devices there are ("device 'cpu:1' is not available (devices here: cpu,
/// opencl:0)"). Requires a spec device_syntax accepts.
Device resolve_device(const std::string& spec);

/// The long flag of `cmd` closest to `unknown` ("--epoch" -> "--epochs"): a unique prefix match,
/// else the smallest edit distance when it is at most a third of the flag's length (at least 2);
/// "" when nothing is close.
std::string suggest_flag(const CLI::App& cmd, const std::string& unknown);

/// Levenshtein distance (insertions, deletions, substitutions).
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace ember::cli
