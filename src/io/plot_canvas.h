// Canvas: the small RGB raster behind io/plot — rectangles, text (stb_easy_font glyph quads)
// and anti-aliased thick lines accumulated into a coverage mask and composited once per
// series, so joints between segments are not blended twice. Internal to src/io.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ember/io/plot.h"

namespace ember::io::detail {

struct Rect {
  int x0, y0, x1, y1;  // half-open: [x0,x1) x [y0,y1)
};

class Canvas {
 public:
  Canvas(int width, int height, PlotColor background);
  int width() const { return w_; }
  int height() const { return h_; }
  void blend(int x, int y, PlotColor c, float alpha);
  void fill_rect(const Rect& r, PlotColor c, float alpha = 1.0f);
  void outline_rect(const Rect& r, PlotColor c);
  /// Text with its top-left corner at (x, y), glyphs scaled by an integer factor. Characters
  /// outside printable ASCII are drawn as '?'.
  void text(int x, int y, const std::string& s, PlotColor c, int scale = 1);
  /// Size of text() output in pixels (width, height of the tallest glyph row).
  static std::pair<int, int> text_size(const std::string& s, int scale = 1);
  PlotImage release();

 private:
  int w_, h_;
  std::vector<uint8_t> rgb_;
};

/// Coverage mask over a clip rectangle: lines and discs add coverage (max, not sum), then
/// composite() paints the covered pixels once in one colour.
class CoverageMask {
 public:
  explicit CoverageMask(const Rect& clip);
  /// A segment of the given half-width (pixels) with anti-aliased edges.
  void line(double x0, double y0, double x1, double y1, double half_width);
  void disc(double cx, double cy, double radius);
  void composite(Canvas& canvas, PlotColor c) const;

 private:
  void cover(int x, int y, float a);
  Rect clip_;
  std::vector<float> cov_;
};

}  // namespace ember::io::detail
