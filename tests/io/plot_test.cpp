// PNG line plots: the file decodes (stb_image) with the requested size and shows the series
// colours; empty series, single points, NaN/inf and extreme values are handled; bad sizes are
// refused; the write is atomic; the legend is placed where the lines are not.
#include <array>
#include <cmath>
#include <limits>

#include "ember/io.h"
#include "harness/op_harness.h"
#include "io/plot_legend.h"
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

namespace {

/// Bounding box [x0,x1) x [y0,y1) of the pixels of colour c (exactly), or x0 = -1 when none.
std::array<int, 4> bbox_of(const io::PlotImage& img, io::PlotColor c) {
  std::array<int, 4> b{-1, -1, -1, -1};
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.rgb.data() + (size_t(y) * img.width + x) * 3;
      if (p[0] != c.r || p[1] != c.g || p[2] != c.b) continue;
      if (b[0] < 0) b = {x, y, x + 1, y + 1};
      b = {std::min(b[0], x), std::min(b[1], y), std::max(b[2], x + 1), std::max(b[3], y + 1)};
    }
  return b;
}

}  // namespace

// The legend goes where the lines are not: for accuracy curves of short and long runs (the lines
// run through corners between their points, which a count of points alone misses), no pixel of
// either line lies under the legend box (found by its grey outline; the same panel drawn without
// names has no legend, so its line pixels are compared there).
TEST(Plot, LegendAvoidsTheLines) {
  const std::vector<std::vector<std::pair<double, double>>> train_runs = {
      {{1, 70}, {2, 95}},                                   // 2 epochs, as the CLI tests train
      {{1, 55}, {2, 80}, {3, 92}},
      {{1, 90.5}, {2, 96.8}, {3, 97.9}, {4, 98.3}, {5, 98.6}, {6, 98.8}, {7, 99.0}, {8, 99.1}, {9, 99.2}, {10, 99.3}}};
  const std::vector<std::vector<std::pair<double, double>>> test_runs = {
      {{1, 90}, {2, 97}},
      {{1, 75}, {2, 88}, {3, 95}},
      {{1, 96.5}, {2, 97.8}, {3, 98.2}, {4, 98.5}, {5, 98.7}, {6, 98.9}, {7, 98.9}, {8, 99.0}, {9, 99.0}, {10, 99.1}}};
  for (size_t i = 0; i < train_runs.size(); ++i) {
    io::PlotPanel named{"accuracy", "epoch", {{"train accuracy", kRed, train_runs[i]}, {"test accuracy", kBlue, test_runs[i]}}, "%"};
    io::PlotPanel bare = named;
    for (auto& s : bare.series) s.name.clear();
    // One panel of a 900x400 two-panel figure, as ember train writes curves.png.
    io::PlotImage with = io::render_line_plot({named}, 450, 400), without = io::render_line_plot({bare}, 450, 400);
    const std::array<int, 4> box = bbox_of(with, {160, 160, 160});
    ASSERT_GE(box[0], 0) << "no legend outline found, run " << i;
    int covered = 0;
    for (int y = box[1]; y < box[3]; ++y)
      for (int x = box[0]; x < box[2]; ++x) {
        const uint8_t* p = without.rgb.data() + (size_t(y) * without.width + x) * 3;
        covered += !(p[0] == p[1] && p[1] == p[2]);  // a line's colour (not white, grey or black)
      }
    EXPECT_EQ(covered, 0) << "legend at [" << box[0] << "," << box[1] << ")-[" << box[2] << "," << box[3]
                          << ") covers line pixels, run " << i;
  }
}

// place_legend on its own: a line along the top and one along the right edge leave the bottom
// left corner; a lone marker in the top right moves the box off it.
TEST(Plot, PlaceLegendPicksTheFreeSpot) {
  const io::detail::Rect area{0, 0, 400, 300};
  const auto box = io::detail::place_legend(area, 100, 40, {{{0, 10}, {399, 10}}, {{390, 0}, {390, 299}}});
  EXPECT_EQ(box.x0, 6);
  EXPECT_EQ(box.y1, 294);
  const auto off_marker = io::detail::place_legend(area, 100, 40, {{{350, 20}}});
  EXPECT_FALSE(off_marker.x0 <= 350 && 350 < off_marker.x1 && off_marker.y0 <= 20 && 20 < off_marker.y1);
}
