// mnist_digit_from_image: a picture of one handwritten digit -> MNIST's 28x28 white-on-black
// format (alpha flattened, background fitted and removed, polarity decided, ink cropped, scaled
// to fit 20x20, centred by mass). The steps and their reasons are in ember/data/image_digit.h.
#include "ember/data/image_digit.h"

#include <algorithm>
#include <cmath>

#include "data/image_ops.h"
#include "ember/error.h"

namespace ember::data {
namespace {

using detail::Gray;

constexpr int64_t kWorkingSide = 1024;  // longer sides are block-averaged down to at most this
constexpr int64_t kField = 28, kFit = 20;
constexpr double kCentre = 14.0;         // MNIST's mean centre of mass (pixel index coordinates)
constexpr double kMinStroke = 2.0;       // thinner strokes (in 20x20 pixels) are widened...
constexpr double kStroke = 2.6;          // ...to this; MNIST's median is about 2.9
constexpr float kSpeck = 0.05f;          // pieces under this fraction of the largest are noise

float luma(const Image8& img, size_t i) {
  const uint8_t* p = &img.pixels[i * static_cast<size_t>(img.channels)];
  if (img.channels <= 2) return p[0] / 255.0f;
  return (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255.0f;
}

float alpha(const Image8& img, size_t i) {
  if (img.channels != 2 && img.channels != 4) return 1;
  return img.pixels[i * static_cast<size_t>(img.channels) + static_cast<size_t>(img.channels) - 1] / 255.0f;
}

/// The gray level transparent pixels stand for (step 1 in the header), or -1 when every pixel
/// is opaque.
float transparent_background(const Image8& img) {
  const size_t n = static_cast<size_t>(img.width * img.height);
  double sum_a = 0, sum_al = 0;
  bool any_transparent = false;
  std::vector<double> hist(256, 0);
  for (size_t i = 0; i < n; ++i) {
    float a = alpha(img, i), l = luma(img, i);
    any_transparent |= a < 1;
    sum_a += a;
    sum_al += a * l;
    hist[static_cast<size_t>(std::lround(l * 255))] += a;
  }
  if (!any_transparent) return -1;
  if (sum_a <= 0) return 1;                        // nothing opaque: blank whatever the colour
  if (sum_a < 0.5 * static_cast<double>(n))        // the opaque pixels are the drawing
    return sum_al / sum_a < 0.5 ? 1.0f : 0.0f;
  double half = sum_a / 2, run = 0;                // the opaque pixels hold the paper: its median
  for (int v = 0; v < 256; ++v)
    if ((run += hist[static_cast<size_t>(v)]) >= half) return v / 255.0f;
  return 1;
}

/// Composited luma, block-averaged by an integer factor so the longer side is <= kWorkingSide.
Gray working_gray(const Image8& img, int64_t& factor) {
  factor = std::max<int64_t>(1, (std::max(img.width, img.height) + kWorkingSide - 1) / kWorkingSide);
  const float bg = transparent_background(img);
  Gray g((img.width + factor - 1) / factor, (img.height + factor - 1) / factor);
  Gray count(g.w, g.h);
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x) {
      size_t i = static_cast<size_t>(y * img.width + x);
      float l = luma(img, i);
      if (bg >= 0) {
        float a = alpha(img, i);
        l = a * l + (1 - a) * bg;
      }
      g.at(x / factor, y / factor) += l;
      count.at(x / factor, y / factor) += 1;
    }
  for (size_t i = 0; i < g.v.size(); ++i) g.v[i] /= count.v[i];
  return g;
}

struct Box {
  int64_t x0, y0, x1, y1;  // inclusive-exclusive
  int64_t w() const { return x1 - x0; }
  int64_t h() const { return y1 - y0; }
};

/// Zeroes pieces of ink under kSpeck of the largest piece's mass; returns the rest's box.
Box drop_specks(Gray& ink) {
  int32_t count = 0;
  std::vector<int32_t> labels = detail::label_components(ink, count);
  std::vector<double> mass(static_cast<size_t>(count) + 1, 0);
  for (size_t i = 0; i < ink.v.size(); ++i) mass[static_cast<size_t>(labels[i])] += ink.v[i];
  double largest = 0;
  for (int32_t c = 1; c <= count; ++c) largest = std::max(largest, mass[static_cast<size_t>(c)]);
  Box box{ink.w, ink.h, 0, 0};
  for (int64_t y = 0; y < ink.h; ++y)
    for (int64_t x = 0; x < ink.w; ++x) {
      size_t i = static_cast<size_t>(y * ink.w + x);
      if (!labels[i]) continue;
      if (mass[static_cast<size_t>(labels[i])] < kSpeck * largest) {
        ink.v[i] = 0;
        continue;
      }
      box = {std::min(box.x0, x), std::min(box.y0, y), std::max(box.x1, x + 1), std::max(box.y1, y + 1)};
    }
  return box;
}

Gray crop(const Gray& g, const Box& b) {
  Gray out(b.w(), b.h());
  for (int64_t y = 0; y < b.h(); ++y)
    for (int64_t x = 0; x < b.w(); ++x) out.at(x, y) = g.at(b.x0 + x, b.y0 + y);
  return out;
}

/// Stroke width in pixels of ink >= 0.5: twice its area over its boundary length.
double stroke_width(const Gray& ink) {
  int64_t area = 0, edge = 0;
  auto on = [&](int64_t x, int64_t y) { return x >= 0 && y >= 0 && x < ink.w && y < ink.h && ink.at(x, y) >= 0.5f; };
  for (int64_t y = 0; y < ink.h; ++y)
    for (int64_t x = 0; x < ink.w; ++x) {
      if (!on(x, y)) continue;
      ++area;
      edge += !on(x - 1, y) || !on(x + 1, y) || !on(x, y - 1) || !on(x, y + 1);
    }
  return edge ? 2.0 * static_cast<double>(area) / static_cast<double>(edge) : 0;
}

/// Widens the strokes of a cropped digit by radius r pixels (a soft-edged disk), padding it.
Gray thicken(const Gray& ink, double r) {
  const int64_t pad = static_cast<int64_t>(std::ceil(r)) + 1;
  Gray out(ink.w + 2 * pad, ink.h + 2 * pad);
  std::vector<uint8_t> mask(out.v.size(), 0);
  for (int64_t y = 0; y < ink.h; ++y)
    for (int64_t x = 0; x < ink.w; ++x) {
      out.at(x + pad, y + pad) = ink.at(x, y);
      mask[static_cast<size_t>((y + pad) * out.w + x + pad)] = ink.at(x, y) >= 0.5f;
    }
  std::vector<float> dist = detail::distance_to_mask(mask, out.w, out.h);
  for (size_t i = 0; i < out.v.size(); ++i)
    out.v[i] = std::max(out.v[i], std::clamp(static_cast<float>(r) + 0.5f - dist[i], 0.0f, 1.0f));
  // Trim the padding back to the widened ink.
  Box b{out.w, out.h, 0, 0};
  for (int64_t y = 0; y < out.h; ++y)
    for (int64_t x = 0; x < out.w; ++x)
      if (out.at(x, y) > 0) b = {std::min(b.x0, x), std::min(b.y0, y), std::max(b.x1, x + 1), std::max(b.y1, y + 1)};
  return crop(out, b);
}

}  // namespace

DigitImage mnist_digit_from_image(const Image8& img, const DigitOptions& options) {
  EMBER_CHECK(img.width >= 1 && img.height >= 1 && img.channels >= 1 && img.channels <= 4,
              "mnist_digit_from_image: needs a non-empty image with 1-4 channels, got ", img.width, "x", img.height,
              "x", img.channels);
  EMBER_CHECK(img.pixels.size() == static_cast<size_t>(img.width * img.height * img.channels),
              "mnist_digit_from_image: ", img.pixels.size(), " bytes for a ", img.width, "x", img.height, "x",
              img.channels, " image");
  DigitImage out;
  int64_t factor = 1;
  Gray g = working_gray(img, factor);

  // 2. The background level, and 3. which side of it the ink lies.
  const int64_t band = std::max<int64_t>(1, std::min(g.w, g.h) / 32);
  float sigma = 0;
  detail::Surface bg = detail::fit_background(g, band, sigma);
  if (options.polarity == InkPolarity::kAuto) {
    Gray r = detail::box_blur3(g);  // residual from the background, less pixel noise
    for (int64_t y = 0; y < g.h; ++y)
      for (int64_t x = 0; x < g.w; ++x) r.at(x, y) -= static_cast<float>(bg.at(x, y));
    // Ink mass beyond the noise on each side: counts a digit of any size, ignores paper grain.
    std::vector<float> band_r = detail::border_band(r, band);
    for (float& v : band_r) v = std::fabs(v);
    const double t = std::max(6 * 1.4826 * detail::quantile(band_r, 0.5), 0.03);
    double dark = 0, light = 0;
    for (float v : r.v) dark += std::max(0.0, -v - t), light += std::max(0.0, v - t);
    out.inverted = dark > light;
  } else {
    out.inverted = options.polarity == InkPolarity::kDarkOnLight;
  }

  // 4. Ink strength: dark ink relative to the paper's brightness (lighting scales both).
  Gray ink(g.w, g.h);
  for (int64_t y = 0; y < g.h; ++y)
    for (int64_t x = 0; x < g.w; ++x) {
      double b = bg.at(x, y), v = g.at(x, y);
      ink.at(x, y) = static_cast<float>(out.inverted ? (b - v) / std::max(b, 0.05) : v - b);
    }
  std::vector<float> band_ink = detail::border_band(ink, band);
  for (float& v : band_ink) v = std::fabs(v);
  const float noise = std::max(0.004f, 1.4826f * detail::quantile(band_ink, 0.5));
  const float floor_level = std::max(5 * noise, 0.02f);
  std::vector<float> strong;
  for (float v : ink.v)
    if (v > floor_level) strong.push_back(v);
  const float level = strong.size() >= 4 ? detail::quantile(strong, 0.9) : 0;
  EMBER_CHECK(level >= std::max(8 * noise, 0.06f), "no digit found: the image is blank (no ink stands out from ",
              "its background; ink contrast ", level, ", noise ", noise, ")");
  const float cut = std::max(floor_level, 0.25f * level);
  for (float& v : ink.v) v = std::clamp((v - cut) / (level - cut), 0.0f, 1.0f);

  // 5. Drop specks, crop, widen thin strokes.
  Box box = drop_specks(ink);
  EMBER_CHECK(box.w() >= 1 && box.h() >= 1, "no digit found: the image is blank");
  out.box_x = box.x0 * factor;
  out.box_y = box.y0 * factor;
  out.box_w = std::min(box.x1 * factor, img.width) - out.box_x;
  out.box_h = std::min(box.y1 * factor, img.height) - out.box_y;
  Gray digit = crop(ink, box);
  double scale = static_cast<double>(kFit) / static_cast<double>(std::max(digit.w, digit.h));
  const double width = stroke_width(digit);
  if (width * scale < kMinStroke && std::max(digit.w, digit.h) >= 4) {
    double r = std::max(0.5, (kStroke / scale - std::max(width, 1.0)) / 2);
    digit = thicken(digit, r);
    scale = static_cast<double>(kFit) / static_cast<double>(std::max(digit.w, digit.h));
    out.thickened = true;
  }

  // 6. Fit 20x20 keeping the aspect ratio, centre by mass in 28x28.
  Gray small = detail::resize(digit, scale);
  const int64_t nw = std::min(small.w, kFit), nh = std::min(small.h, kFit);  // the longer side is kFit
  double mass = 0, mx = 0, my = 0;
  for (int64_t y = 0; y < nh; ++y)
    for (int64_t x = 0; x < nw; ++x) {
      float v = small.at(x, y) = std::clamp(small.at(x, y), 0.0f, 1.0f);
      mass += v, mx += v * static_cast<double>(x), my += v * static_cast<double>(y);
    }
  EMBER_CHECK(mass > 0, "no digit found: the image is blank");
  const int64_t ox = std::clamp<int64_t>(std::lround(kCentre - mx / mass), 0, kField - nw);
  const int64_t oy = std::clamp<int64_t>(std::lround(kCentre - my / mass), 0, kField - nh);
  out.image = zeros({1, kField, kField});
  float* dst = out.image.data_ptr<float>();
  for (int64_t y = 0; y < nh; ++y)
    for (int64_t x = 0; x < nw; ++x) dst[(oy + y) * kField + ox + x] = small.at(x, y);
  return out;
}

}  // namespace ember::data
