// Progress reporting for long commands: a redrawn bar on a terminal sized to its width (label,
// bar, percent, samples/s, loss, ETA of the phase and of the whole run), plain periodic lines
// otherwise; colour only on a terminal and never when NO_COLOR is set. The numbers come from the
// caller (one computation shared with the epoch line and metrics.jsonl); this file lays them out.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ember::cli {

/// What one progress line shows. NaN fields are left out.
struct ProgressLine {
  std::string label;          // "epoch 3/10", "eval"
  int64_t done = 0, total = 0;  // steps
  double samples_per_s = NAN;
  double loss = NAN;
  double eta_s = NAN;         // this phase (epoch, evaluation)
  double run_eta_s = NAN;     // the whole run (training: the remaining epochs and evaluations)
  const char* unit = "samples";  // what samples_per_s counts ("samples", "chars")
};

/// The line for `p` in at most columns - 1 visible characters (the last column stays free so a
/// terminal never wraps): with_bar adds a [###...] bar of 8-30 cells; when the line does not fit,
/// the step counts, loss, samples/s, run ETA, bar and ETA are dropped in that order, and what
/// still does not fit is cut. color wraps the bar in green escape codes (not counted as width).
/// Requires columns >= 1.
std::string format_progress_line(const ProgressLine& p, int columns, bool with_bar, bool color);

/// The width of the terminal behind `out` (ioctl TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_columns(std::FILE* out);

/// samples / seconds, 0 when no time has passed: the one formula behind every samples/s ember
/// prints or writes (progress bar, epoch line, metrics.jsonl, summary).
double samples_per_second(int64_t samples, double seconds);

/// Seconds left for `remaining` steps at the rate of the `done_here` steps that took
/// `seconds_here` in this process (steps restored from a checkpoint are not counted). NaN until a
/// step has been timed.
double eta_seconds(int64_t done_here, double seconds_here, int64_t remaining);

class Progress {
 public:
  /// out: where to draw (stdout, or stderr when stdout carries JSON). plain_lines: also report
  /// when `out` is not a terminal (lines at 0/25/50/75% and the final one); otherwise draw
  /// only on a terminal.
  Progress(std::FILE* out, bool plain_lines = true);
  /// Redraws the bar (at most every 0.1 s) or prints a plain line when a quarter is passed.
  void update(const ProgressLine& p);
  /// Draws `last` as the final line and ends it (newline on a terminal; a plain line otherwise).
  void finish(const ProgressLine& last);
  /// Erases the bar from the terminal (for a phase that leaves no line behind).
  void clear();
  bool tty() const { return tty_; }

 private:
  std::FILE* out_;
  bool plain_, tty_, color_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
  int last_quarter_ = -1;
  void draw(const ProgressLine& p);
};

/// "1m05s", "12.3s"; "?" for negative or non-finite input.
std::string format_duration(double seconds);

}  // namespace ember::cli
