// Canvas and CoverageMask: pixel-level drawing for io/plot (see plot_canvas.h).
#include "io/plot_canvas.h"

#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cmath>

namespace ember::io::detail {

namespace {

/// A copy of s that stb_easy_font can index safely (it reads a table at c - 32).
std::string printable(const std::string& s) {
  std::string r = s;
  for (char& ch : r)
    if (static_cast<unsigned char>(ch) < 32 || static_cast<unsigned char>(ch) > 126) ch = '?';
  return r;
}

struct Quad {
  float x0, y0, x1, y1;
};

std::vector<Quad> glyph_quads(const std::string& s) {
  std::string t = printable(s);
  std::vector<char> vbuf(t.size() * 1024 + 1024);
  struct Vertex {
    float x, y, z;
    unsigned char c[4];
  };
  static_assert(sizeof(Vertex) == 16);
  int n = stb_easy_font_print(0, 0, t.data(), nullptr, vbuf.data(), static_cast<int>(vbuf.size()));
  std::vector<Quad> quads;
  const auto* v = reinterpret_cast<const Vertex*>(vbuf.data());
  for (int q = 0; q < n; ++q) {
    const Vertex* p = v + 4 * q;
    float xs[4] = {p[0].x, p[1].x, p[2].x, p[3].x}, ys[4] = {p[0].y, p[1].y, p[2].y, p[3].y};
    quads.push_back({*std::min_element(xs, xs + 4), *std::min_element(ys, ys + 4), *std::max_element(xs, xs + 4),
                     *std::max_element(ys, ys + 4)});
  }
  return quads;
}

}  // namespace

Canvas::Canvas(int width, int height, PlotColor bg) : w_(width), h_(height), rgb_(size_t(width) * height * 3) {
  for (size_t i = 0; i < rgb_.size(); i += 3) {
    rgb_[i] = bg.r;
    rgb_[i + 1] = bg.g;
    rgb_[i + 2] = bg.b;
  }
}

void Canvas::blend(int x, int y, PlotColor c, float a) {
  if (x < 0 || y < 0 || x >= w_ || y >= h_ || a <= 0) return;
  a = std::min(a, 1.0f);
  uint8_t* p = &rgb_[(size_t(y) * w_ + x) * 3];
  const uint8_t src[3] = {c.r, c.g, c.b};
  for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>(std::lround(p[k] * (1 - a) + src[k] * a));
}

void Canvas::fill_rect(const Rect& r, PlotColor c, float alpha) {
  for (int y = std::max(r.y0, 0); y < std::min(r.y1, h_); ++y)
    for (int x = std::max(r.x0, 0); x < std::min(r.x1, w_); ++x) blend(x, y, c, alpha);
}

void Canvas::outline_rect(const Rect& r, PlotColor c) {
  fill_rect({r.x0, r.y0, r.x1, r.y0 + 1}, c);
  fill_rect({r.x0, r.y1 - 1, r.x1, r.y1}, c);
  fill_rect({r.x0, r.y0, r.x0 + 1, r.y1}, c);
  fill_rect({r.x1 - 1, r.y0, r.x1, r.y1}, c);
}

void Canvas::text(int x, int y, const std::string& s, PlotColor c, int scale) {
  for (const Quad& q : glyph_quads(s))
    fill_rect({x + int(std::lround(q.x0 * scale)), y + int(std::lround(q.y0 * scale)),
               x + int(std::lround(q.x1 * scale)), y + int(std::lround(q.y1 * scale))},
              c);
}

std::pair<int, int> Canvas::text_size(const std::string& s, int scale) {
  float w = 0, h = 0;
  for (const Quad& q : glyph_quads(s)) {
    w = std::max(w, q.x1);
    h = std::max(h, q.y1);
  }
  return {int(std::lround(w * scale)), int(std::lround(h * scale))};
}

PlotImage Canvas::release() { return PlotImage{w_, h_, std::move(rgb_)}; }

CoverageMask::CoverageMask(const Rect& clip)
    : clip_(clip), cov_(size_t(std::max(0, clip.x1 - clip.x0)) * std::max(0, clip.y1 - clip.y0), 0.0f) {}

void CoverageMask::cover(int x, int y, float a) {
  if (x < clip_.x0 || y < clip_.y0 || x >= clip_.x1 || y >= clip_.y1 || a <= 0) return;
  float& c = cov_[size_t(y - clip_.y0) * (clip_.x1 - clip_.x0) + (x - clip_.x0)];
  c = std::max(c, std::min(a, 1.0f));
}

void CoverageMask::line(double x0, double y0, double x1, double y1, double hw) {
  for (double* v : {&x0, &y0, &x1, &y1}) {
    if (!std::isfinite(*v)) return;
    *v = std::clamp(*v, -1e6, 1e6);
  }
  const double pad = hw + 1.0;
  int bx0 = std::max(clip_.x0, int(std::floor(std::min(x0, x1) - pad)));
  int bx1 = std::min(clip_.x1 - 1, int(std::ceil(std::max(x0, x1) + pad)));
  int by0 = std::max(clip_.y0, int(std::floor(std::min(y0, y1) - pad)));
  int by1 = std::min(clip_.y1 - 1, int(std::ceil(std::max(y0, y1) + pad)));
  const double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
  for (int y = by0; y <= by1; ++y)
    for (int x = bx0; x <= bx1; ++x) {
      double px = x + 0.5 - x0, py = y + 0.5 - y0;
      double t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0.0;
      double d = std::hypot(px - t * dx, py - t * dy);
      cover(x, y, float(hw + 0.5 - d));
    }
}

void CoverageMask::disc(double cx, double cy, double r) { line(cx, cy, cx, cy, r); }

void CoverageMask::composite(Canvas& canvas, PlotColor c) const {
  const int w = clip_.x1 - clip_.x0;
  for (size_t i = 0; i < cov_.size(); ++i)
    if (cov_[i] > 0) canvas.blend(clip_.x0 + int(i % w), clip_.y0 + int(i / w), c, cov_[i]);
}

}  // namespace ember::io::detail
