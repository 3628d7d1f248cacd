// Line-plot layout: per panel a plot area with "nice" ticks (1, 2, 5 x 10^k), grid lines,
// axes, title, axis labels, a legend placed where it covers the least of the lines, and each series drawn as
// an anti-aliased 2px line with point markers when there are few points. Encoded to PNG in
// memory with stb_image_write and written with write_file_atomic.
#include "ember/io/plot.h"

#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "ember/error.h"
#include "ember/io/atomic_file.h"
#include "io/plot_canvas.h"
#include "io/plot_legend.h"

namespace ember::io {

namespace detail {

Rect place_legend(const Rect& area, int bw, int bh, const std::vector<std::vector<std::pair<double, double>>>& lines) {
  const int cx = (area.x0 + area.x1 - bw) / 2, cy = (area.y0 + area.y1 - bh) / 2;
  const Rect candidates[8] = {{area.x1 - bw - 6, area.y0 + 6, area.x1 - 6, area.y0 + 6 + bh},   // top right
                              {area.x1 - bw - 6, area.y1 - bh - 6, area.x1 - 6, area.y1 - 6},   // bottom right
                              {area.x0 + 6, area.y0 + 6, area.x0 + 6 + bw, area.y0 + 6 + bh},   // top left
                              {area.x0 + 6, area.y1 - bh - 6, area.x0 + 6 + bw, area.y1 - 6},   // bottom left
                              {cx, area.y0 + 6, cx + bw, area.y0 + 6 + bh},                     // top centre
                              {cx, area.y1 - bh - 6, cx + bw, area.y1 - 6},                     // bottom centre
                              {area.x0 + 6, cy, area.x0 + 6 + bw, cy + bh},                     // left middle
                              {area.x1 - bw - 6, cy, area.x1 - 6, cy + bh}};                    // right middle
  // Coverage: samples every half pixel along each segment (and the lone points) that fall inside
  // the box or within 4 px of it (the line's width and markers).
  auto covered = [&](const Rect& r) {
    size_t n = 0;
    auto inside = [&](double x, double y) { return x >= r.x0 - 4 && x < r.x1 + 4 && y >= r.y0 - 4 && y < r.y1 + 4; };
    for (const auto& line : lines)
      for (size_t i = 0; i < line.size(); ++i) {
        if (i == 0) {
          n += inside(line[0].first, line[0].second);
          continue;
        }
        const auto [x0, y0] = line[i - 1];
        const auto [x1, y1] = line[i];
        const double len = std::hypot(x1 - x0, y1 - y0);
        const int steps = static_cast<int>(std::min(1e5, std::ceil(2 * len))) + 1;
        for (int k = 1; k <= steps; ++k) {
          const double t = static_cast<double>(k) / steps;
          n += inside(x0 + t * (x1 - x0), y0 + t * (y1 - y0));
        }
      }
    return n;
  };
  Rect best = candidates[0];
  size_t best_n = std::numeric_limits<size_t>::max();
  for (const Rect& r : candidates) {
    if (r.x0 < area.x0 || r.y0 < area.y0 || r.x1 > area.x1 || r.y1 > area.y1) continue;  // does not fit
    const size_t n = covered(r);
    if (n < best_n) best_n = n, best = r;
    if (n == 0) break;
  }
  return best;
}

}  // namespace detail

namespace {

using detail::Canvas;
using detail::CoverageMask;
using detail::Rect;

constexpr PlotColor kWhite{255, 255, 255}, kBlack{0, 0, 0}, kGrid{225, 225, 225}, kGray{90, 90, 90};

struct Axis {
  double lo = 0, hi = 1, step = 0.2;
};

double nice_step(double range, int target) {
  double raw = range / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/// Tick range covering [mn, mx] (finite values; mn > mx means no data). Integer-valued data
/// (epochs) never gets fractional ticks.
Axis make_axis(double mn, double mx, bool integral, int target) {
  if (mn > mx) return {};
  if (mx - mn <= 1e-12 * std::max(1.0, std::fabs(mx))) {
    double pad = std::max(std::fabs(mx) * 0.1, 0.5);
    mn -= pad;
    mx += pad;
  }
  if (!std::isfinite(mx - mn)) return {mn, mx, mx / 2 - mn / 2};  // beyond double range: 3 ticks
  Axis a;
  a.step = nice_step(mx - mn, target);
  if (integral) a.step = std::max(a.step, 1.0);
  a.lo = std::floor(mn / a.step) * a.step;
  a.hi = std::ceil(mx / a.step) * a.step;
  if (a.hi <= a.lo) a.hi = a.lo + a.step;
  return a;
}

std::string tick_label(double v, double step) {
  if (std::fabs(v) < step * 1e-9) v = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

bool finite_point(const std::pair<double, double>& p) { return std::isfinite(p.first) && std::isfinite(p.second); }

void draw_panel(Canvas& cv, const PlotPanel& panel, int px0, int pw) {
  const int height = cv.height();
  const Rect area{px0 + 62, 34, px0 + pw - 18, height - 44};

  // Data ranges.
  double xmn = std::numeric_limits<double>::infinity(), xmx = -xmn, ymn = xmn, ymx = -xmn;
  bool x_integral = true;
  for (const PlotSeries& s : panel.series)
    for (const auto& p : s.points) {
      if (!finite_point(p)) continue;
      xmn = std::min(xmn, p.first);
      xmx = std::max(xmx, p.first);
      ymn = std::min(ymn, p.second);
      ymx = std::max(ymx, p.second);
      x_integral = x_integral && p.first == std::floor(p.first);
    }
  const Axis ax = make_axis(xmn, xmx, x_integral, std::max(2, (area.x1 - area.x0) / 80));
  const Axis ay = make_axis(ymn, ymx, false, std::max(2, (area.y1 - area.y0) / 50));
  // Halved operands keep the arithmetic finite even for ranges near the double limit.
  auto to_px = [&](double x) { return area.x0 + (x / 2 - ax.lo / 2) / (ax.hi / 2 - ax.lo / 2) * (area.x1 - 1 - area.x0); };
  auto to_py = [&](double y) {
    return area.y1 - 1 - (y / 2 - ay.lo / 2) / (ay.hi / 2 - ay.lo / 2) * (area.y1 - 1 - area.y0);
  };

  // Grid, ticks and tick labels.
  for (int i = 0; i <= 1000 && ax.lo + i * ax.step <= ax.hi + ax.step * 1e-9; ++i) {
    const double v = ax.lo + i * ax.step;
    int x = int(std::lround(to_px(v)));
    cv.fill_rect({x, area.y0, x + 1, area.y1}, kGrid);
    cv.fill_rect({x, area.y1, x + 1, area.y1 + 4}, kBlack);
    std::string l = tick_label(v, ax.step);
    cv.text(x - Canvas::text_size(l).first / 2, area.y1 + 7, l, kBlack);
  }
  for (int i = 0; i <= 1000 && ay.lo + i * ay.step <= ay.hi + ay.step * 1e-9; ++i) {
    const double v = ay.lo + i * ay.step;
    int y = int(std::lround(to_py(v)));
    cv.fill_rect({area.x0, y, area.x1, y + 1}, kGrid);
    cv.fill_rect({area.x0 - 4, y, area.x0, y + 1}, kBlack);
    std::string l = tick_label(v, ay.step);
    cv.text(area.x0 - 7 - Canvas::text_size(l).first, y - 3, l, kBlack);
  }
  cv.outline_rect({area.x0 - 1, area.y0 - 1, area.x1 + 1, area.y1 + 1}, kBlack);

  // Title (large when it fits), x label, y label.
  int tscale = Canvas::text_size(panel.title, 2).first <= pw - 8 ? 2 : 1;
  cv.text(px0 + (pw - Canvas::text_size(panel.title, tscale).first) / 2, 6, panel.title, kBlack, tscale);
  cv.text((area.x0 + area.x1 - Canvas::text_size(panel.x_label).first) / 2, area.y1 + 22, panel.x_label, kGray);
  cv.text(area.x0 - 1, area.y0 - 12, panel.y_label, kGray);

  // Series.
  size_t finite_total = 0;
  for (const PlotSeries& s : panel.series) finite_total += std::count_if(s.points.begin(), s.points.end(), finite_point);
  for (const PlotSeries& s : panel.series) {
    CoverageMask mask(area);
    const std::pair<double, double>* prev = nullptr;
    for (const auto& p : s.points) {
      if (!finite_point(p)) {
        prev = nullptr;  // a gap in the line
        continue;
      }
      if (prev) mask.line(to_px(prev->first), to_py(prev->second), to_px(p.first), to_py(p.second), 1.0);
      if (finite_total <= 60 || !prev) mask.disc(to_px(p.first), to_py(p.second), 2.5);
      prev = &p;
    }
    mask.composite(cv, s.color);
  }

  // Legend where the lines are not (see place_legend).
  std::vector<const PlotSeries*> named;
  int lw = 0;
  for (const PlotSeries& s : panel.series)
    if (!s.name.empty()) {
      named.push_back(&s);
      lw = std::max(lw, Canvas::text_size(s.name).first);
    }
  if (named.empty()) return;
  const int bw = lw + 36, bh = int(named.size()) * 14 + 8;
  std::vector<std::vector<std::pair<double, double>>> lines;  // the series in pixels; gaps split them
  for (const PlotSeries& s : panel.series) {
    lines.emplace_back();
    for (const auto& p : s.points)
      if (!finite_point(p)) lines.emplace_back();
      else lines.back().push_back({to_px(p.first), to_py(p.second)});
  }
  const Rect box = detail::place_legend(area, bw, bh, lines);
  cv.fill_rect(box, kWhite, 0.9f);
  cv.outline_rect(box, {160, 160, 160});
  for (size_t i = 0; i < named.size(); ++i) {
    int y = box.y0 + 5 + int(i) * 14;
    cv.fill_rect({box.x0 + 6, y + 3, box.x0 + 26, y + 5}, named[i]->color);
    cv.text(box.x0 + 31, y, named[i]->name, kBlack);
  }
}

}  // namespace

PlotImage render_line_plot(const std::vector<PlotPanel>& panels, int width, int height) {
  EMBER_CHECK(!panels.empty(), "render_line_plot: no panels");
  const int n = static_cast<int>(std::min<size_t>(panels.size(), 1 << 20));
  EMBER_CHECK(width <= 16384 && height <= 16384 && height >= 100 && width / n >= 120, "render_line_plot: ", width,
              "x", height, " is too small or too large for ", panels.size(),
              " panel(s) (need height in [100,16384], width <= 16384 and >= 120 per panel)");
  Canvas cv(width, height, kWhite);
  const int pw = width / n;
  for (int i = 0; i < n; ++i) draw_panel(cv, panels[i], i * pw, pw);
  return cv.release();
}

void write_line_plot_png(const std::string& path, const std::vector<PlotPanel>& panels, int width, int height) {
  PlotImage img = render_line_plot(panels, width, height);
  std::string png;
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  int ok = stbi_write_png_to_func(sink, &png, img.width, img.height, 3, img.rgb.data(), img.width * 3);
  EMBER_CHECK(ok && !png.empty(), "write_line_plot_png: ", path, ": PNG encoding failed");
  write_file_atomic(path, png);
}

}  // namespace ember::io
