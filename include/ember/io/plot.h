// PNG line plots for training curves (loss and accuracy per epoch): panels side by side, each
// with axes, numeric ticks, grid lines, a legend and anti-aliased lines. Needs no plotting
// library: the plot is drawn into an RGB buffer and encoded with stb_image_write.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ember::io {

struct PlotColor {
  uint8_t r = 0, g = 0, b = 0;
};

struct PlotSeries {
  std::string name;
  PlotColor color;
  std::vector<std::pair<double, double>> points;  // (x, y); non-finite points are skipped
};

struct PlotPanel {
  std::string title;
  std::string x_label;
  std::vector<PlotSeries> series;
  std::string y_label;  // optional, drawn above the y axis
};

/// A rendered RGB image: width*height*3 bytes, row-major, top row first.
struct PlotImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

/// Draws `panels` side by side (each gets width / panels.size() pixels). Requires at least one
/// panel and 100 <= height <= 16384, 120 * panels.size() <= width <= 16384. Empty series, single
/// points and non-finite values are fine (non-finite points break the line).
PlotImage render_line_plot(const std::vector<PlotPanel>& panels, int width = 900, int height = 400);

/// render_line_plot encoded as PNG and written atomically to `path` (ember::Error on failure).
void write_line_plot_png(const std::string& path, const std::vector<PlotPanel>& panels, int width = 900,
                         int height = 400);

}  // namespace ember::io
