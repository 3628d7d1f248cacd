// PNG line plots: the file decodes (stb_image) with the requested size and shows the series
// colours; empty series, single points, NaN/inf and extreme values are handled; bad sizes are
// refused; the write is atomic.
#include <cmath>
#include <limits>

#include "ember/io.h"
#include "harness/op_harness.h"
#include "io/temp_dir.h"

// A private (static) copy of the decoder for checking our output; libember's copy stays hidden.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

using namespace ember;
using namespace ember::test;

namespace {

constexpr io::PlotColor kRed{220, 30, 30}, kBlue{30, 60, 220}, kGreen{20, 160, 40};

std::vector<io::PlotPanel> training_panels() {
  io::PlotPanel loss{"Loss", "epoch", {{"train", kRed, {}}, {"test", kBlue, {}}}, "loss"};
  io::PlotPanel acc{"Accuracy", "epoch", {{"test accuracy", kGreen, {}}}, ""};
  for (int e = 1; e <= 10; ++e) {
    loss.series[0].points.push_back({e, 2.0 / e});
    loss.series[1].points.push_back({e, 2.2 / e + 0.05});
    acc.series[0].points.push_back({e, 0.5 + 0.04 * e});
  }
  return {loss, acc};
}

/// Number of pixels within `tol` of colour c in columns [x0, x1).
int count_colour(const unsigned char* rgb, int w, int h, io::PlotColor c, int x0, int x1, int tol = 8) {
  int n = 0;
  for (int y = 0; y < h; ++y)
    for (int x = x0; x < x1; ++x) {
      const unsigned char* p = rgb + (size_t(y) * w + x) * 3;
      n += std::abs(p[0] - c.r) <= tol && std::abs(p[1] - c.g) <= tol && std::abs(p[2] - c.b) <= tol;
    }
  return n;
}

}  // namespace

TEST(Plot, WritesDecodablePngWithSeriesColours) {
  TempDir dir;
  std::string p = dir.file("curves.png");
  io::write_line_plot_png(p, training_panels(), 900, 400);
  std::string bytes = read_bytes(p);
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  int w = 0, h = 0, ch = 0;
  unsigned char* img = stbi_load(p.c_str(), &w, &h, &ch, 3);
  ASSERT_NE(img, nullptr) << stbi_failure_reason();
  EXPECT_EQ(w, 900);
  EXPECT_EQ(h, 400);
  // Red and blue lines are in the left panel only, green in the right panel only.
  EXPECT_GT(count_colour(img, w, h, kRed, 0, 450), 100);
  EXPECT_GT(count_colour(img, w, h, kBlue, 0, 450), 100);
  EXPECT_EQ(count_colour(img, w, h, kGreen, 0, 450), 0);
  EXPECT_GT(count_colour(img, w, h, kGreen, 450, 900), 100);
  EXPECT_EQ(count_colour(img, w, h, kRed, 450, 900), 0);
  // Text, axes and grid: plenty of black and light-grey pixels; the background is white.
  EXPECT_GT(count_colour(img, w, h, {0, 0, 0}, 0, 900, 0), 1000);
  EXPECT_GT(count_colour(img, w, h, {225, 225, 225}, 0, 900, 0), 500);
  EXPECT_EQ(img[0], 255);
  stbi_image_free(img);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"curves.png"});
}

TEST(Plot, DegenerateInputsDoNotCrash) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<io::PlotPanel> panels{
      {"empty panel", "", {}, ""},
      {"empty series", "x", {{"nothing", kRed, {}}}, ""},
      {"single point", "epoch", {{"one", kBlue, {{1, 0.5}}}}, ""},
      {"NaN skipped", "epoch", {{"gappy", kGreen, {{1, 1}, {2, nan}, {3, 3}, {nan, 1}, {4, inf}, {5, 2}}}}, ""},
      {"all NaN", "", {{"nan", kRed, {{nan, nan}, {inf, -inf}}}}, ""},
      {"huge range \x01\xff non-ascii", "", {{"", kBlue, {{-1e308, -1.7e308}, {1e308, 1.7e308}}}}, ""},
      {"tiny range", "", {{"flat", kRed, {{0, 1.0}, {1e-300, 1.0 + 1e-15}}}}, ""}};
  for (const auto& panel : panels) {
    io::PlotImage img = io::render_line_plot({panel}, 300, 200);
    EXPECT_EQ(img.width, 300);
    EXPECT_EQ(img.height, 200);
    EXPECT_EQ(img.rgb.size(), 300u * 200 * 3);
  }
  io::PlotImage one = io::render_line_plot({panels[2]}, 300, 200);
  EXPECT_GT(count_colour(one.rgb.data(), 300, 200, kBlue, 0, 300), 5);  // the lone point is visible
  io::PlotImage gappy = io::render_line_plot({panels[3]}, 300, 200);
  EXPECT_GT(count_colour(gappy.rgb.data(), 300, 200, kGreen, 0, 300), 20);
  TempDir dir;
  io::write_line_plot_png(dir.file("all.png"), panels, 7 * 130, 150);
}

TEST(Plot, ManyPointsAndLongLabels) {
  io::PlotPanel panel{"a rather long title that does not fit at the large size", "step", {{"loss", kRed, {}}}, "y"};
  for (int i = 0; i < 5000; ++i) panel.series[0].points.push_back({i, std::exp(-i / 1000.0) + 0.01 * std::sin(i)});
  io::PlotImage img = io::render_line_plot({panel}, 400, 300);
  EXPECT_GT(count_colour(img.rgb.data(), 400, 300, kRed, 0, 400), 200);
}

TEST(Plot, Errors) {
  TempDir dir;
  EXPECT_EMBER_ERROR(io::render_line_plot({}, 900, 400), "no panels");
  EXPECT_EMBER_ERROR(io::render_line_plot(training_panels(), 200, 400), "200x400", "2 panel");
  EXPECT_EMBER_ERROR(io::render_line_plot(training_panels(), 900, 50), "900x50");
  EXPECT_EMBER_ERROR(io::render_line_plot(training_panels(), 100000, 400), "100000x400");
  EXPECT_EMBER_ERROR(io::write_line_plot_png(dir.file("no/such/dir.png"), training_panels()), "no/such/dir.png");
}
