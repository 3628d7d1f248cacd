// Progress reporting for long commands: a redrawn bar on a terminal (samples/s, loss, ETA),
// plain periodic lines otherwise; colour only on a terminal and never when NO_COLOR is set.
#pragma once
#include <chrono>
#include <cstdio>
#include <string>

namespace ember::cli {

class Progress {
 public:
  /// out: where to draw (stdout, or stderr when stdout carries JSON). total: steps in this phase.
  Progress(std::FILE* out, std::string label, int64_t total);
  /// Called after each step with the samples processed so far and the running loss.
  void update(int64_t done, int64_t samples, double loss);
  /// Ends the bar (newline on a terminal).
  void finish();

 private:
  std::FILE* out_;
  std::string label_;
  int64_t total_;
  bool tty_, color_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  int last_pct_ = -1;
};

/// "1m05s", "12.3s".
std::string format_duration(double seconds);

}  // namespace ember::cli
