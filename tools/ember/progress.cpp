// Progress bar / plain progress lines (see progress.h).
#include "progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace ember::cli {

std::string format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
  return buf;
}

Progress::Progress(std::FILE* out, std::string label, int64_t total)
    : out_(out), label_(std::move(label)), total_(total), tty_(isatty(fileno(out)) != 0),
      color_(tty_ && std::getenv("NO_COLOR") == nullptr), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::update(int64_t done, int64_t samples, double loss) {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? samples / elapsed : 0;
  double eta = done > 0 ? elapsed * (total_ - done) / done : NAN;
  int pct = total_ > 0 ? static_cast<int>(100 * done / total_) : 100;
  if (tty_) {
    if (done < total_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    last_draw_ = now;
    const int width = 30;
    int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    const char* on = color_ ? "\033[32m" : "";
    const char* off = color_ ? "\033[0m" : "";
    std::fprintf(out_, "\r%s %s[%s]%s %3d%% %lld/%lld  %.0f samples/s  loss %.4f  ETA %s\033[K", label_.c_str(), on,
                 bar.c_str(), off, pct, static_cast<long long>(done), static_cast<long long>(total_), rate, loss,
                 format_duration(eta).c_str());
    std::fflush(out_);
  } else if (pct / 25 != last_pct_ / 25 || done == total_) {  // plain lines at 0/25/50/75/100%
    if (pct == last_pct_) return;
    last_pct_ = pct;
    std::fprintf(out_, "%s %3d%% %lld/%lld  %.0f samples/s  loss %.4f  ETA %s\n", label_.c_str(), pct,
                 static_cast<long long>(done), static_cast<long long>(total_), rate, loss, format_duration(eta).c_str());
    std::fflush(out_);
  }
}

void Progress::finish() {
  if (tty_) {
    std::fprintf(out_, "\n");
    std::fflush(out_);
  }
}

}  // namespace ember::cli
