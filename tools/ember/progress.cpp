// Progress bar / plain progress lines (see progress.h).
#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace ember::cli {

std::string format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
  return buf;
}

double samples_per_second(int64_t samples, double seconds) {
  return seconds > 0 ? static_cast<double>(samples) / seconds : 0.0;
}

double eta_seconds(int64_t done_here, double seconds_here, int64_t remaining) {
  if (done_here <= 0 || !(seconds_here >= 0)) return NAN;
  return seconds_here / static_cast<double>(done_here) * static_cast<double>(std::max<int64_t>(0, remaining));
}

int terminal_columns(std::FILE* out) {
  winsize ws{};
  if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    char* end = nullptr;
    long n = std::strtol(c, &end, 10);
    if (end != c && *end == '\0' && n > 0 && n < 100000) return static_cast<int>(n);
  }
  return 80;
}

namespace {

struct Piece {
  std::string text;
  int drop_rank;  // 0: always shown; otherwise dropped when the line is too wide, lowest first
  bool is_bar = false;
};

constexpr int kMinBar = 8, kMaxBar = 30;

}  // namespace

std::string format_progress_line(const ProgressLine& p, int columns, bool with_bar, bool color) {
  char buf[64];
  std::vector<Piece> pieces;
  pieces.push_back({p.label, 0});
  if (with_bar) pieces.push_back({"", 5, true});
  int pct = p.total > 0 ? static_cast<int>(100 * std::min(p.done, p.total) / p.total) : 100;
  std::snprintf(buf, sizeof buf, "%3d%%", pct);
  pieces.push_back({buf, 0});
  pieces.push_back({std::to_string(p.done) + "/" + std::to_string(p.total), 1});
  if (std::isfinite(p.samples_per_s)) {
    std::snprintf(buf, sizeof buf, "%.0f %s/s", p.samples_per_s, p.unit);
    pieces.push_back({buf, 3});
  }
  if (std::isfinite(p.loss)) {
    std::snprintf(buf, sizeof buf, "loss %.4f", p.loss);
    pieces.push_back({buf, 2});
  }
  if (!std::isnan(p.eta_s)) pieces.push_back({"ETA " + format_duration(p.eta_s), 6});
  if (!std::isnan(p.run_eta_s)) pieces.push_back({"run ETA " + format_duration(p.run_eta_s), 4});

  const int avail = std::max(0, columns - 1);
  auto width_at = [&](int drop, int bar_cells) {
    int w = -1;  // no space before the first piece
    for (const Piece& pc : pieces)
      if (pc.drop_rank == 0 || pc.drop_rank > drop) w += 1 + (pc.is_bar ? bar_cells + 2 : static_cast<int>(pc.text.size()));
    return w;
  };
  int drop = 0;
  while (drop < 6 && width_at(drop, kMinBar) > avail) ++drop;
  const int bar_cells = std::min(kMaxBar, kMinBar + std::max(0, avail - width_at(drop, kMinBar)));
  const int filled = p.total > 0 ? static_cast<int>(bar_cells * std::min(p.done, p.total) / p.total) : bar_cells;

  std::string plain, out;  // plain: without escape codes, to cut at the visible width
  for (const Piece& pc : pieces) {
    if (pc.drop_rank != 0 && pc.drop_rank <= drop) continue;
    if (!plain.empty()) plain += ' ', out += ' ';
    if (!pc.is_bar) {
      plain += pc.text, out += pc.text;
      continue;
    }
    std::string bar = "[" + std::string(filled, '#') + std::string(bar_cells - filled, '.') + "]";
    plain += bar;
    out += color ? "\033[32m" + bar + "\033[0m" : bar;
  }
  if (static_cast<int>(plain.size()) <= avail) return out;
  // Still too wide (a tiny terminal): cut the escape-free text; colour is not worth keeping.
  return plain.substr(0, avail);
}

Progress::Progress(std::FILE* out, bool plain_lines)
    : out_(out), plain_(plain_lines), tty_(isatty(fileno(out)) != 0),
      color_(tty_ && std::getenv("NO_COLOR") == nullptr), last_draw_(std::chrono::steady_clock::now()) {}

void Progress::draw(const ProgressLine& p) {
  std::fprintf(out_, "\r%s\033[K", format_progress_line(p, terminal_columns(out_), true, color_).c_str());
  std::fflush(out_);
  drawn_ = true;
  last_draw_ = std::chrono::steady_clock::now();
}

void Progress::update(const ProgressLine& p) {
  if (tty_) {
    auto now = std::chrono::steady_clock::now();
    if (drawn_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    draw(p);
    return;
  }
  if (!plain_ || p.total <= 0 || p.done >= p.total) return;  // the 100% line comes from finish()
  const int quarter = static_cast<int>(4 * p.done / p.total);
  if (quarter == last_quarter_) return;
  last_quarter_ = quarter;
  std::fprintf(out_, "%s\n", format_progress_line(p, 1 << 20, false, false).c_str());
  std::fflush(out_);
}

void Progress::finish(const ProgressLine& last) {
  if (tty_) {
    draw(last);
    std::fprintf(out_, "\n");
    std::fflush(out_);
  } else if (plain_) {
    std::fprintf(out_, "%s\n", format_progress_line(last, 1 << 20, false, false).c_str());
    std::fflush(out_);
  }
}

void Progress::clear() {
  if (tty_ && drawn_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
  }
}

}  // namespace ember::cli
