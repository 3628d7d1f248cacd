// fashion_mnist_image_from_image: a product photo -> Fashion-MNIST's 28x28 light-on-black format
// (grayscale, background from the corners, inverted when light, trimmed, longest side scaled to
// 28, centred). The steps and their reasons are in ember/data/image_garment.h.
#include "ember/data/image_garment.h"

#include <algorithm>
#include <cmath>

#include "data/image_ops.h"
#include "ember/error.h"

namespace ember::data {
namespace {

using detail::Gray;

constexpr int64_t kSide = 28;
constexpr int64_t kWorkingSide = 1024;  // longer sides are block-averaged down to at most this

float luma(const Image8& img, size_t i) {
  const uint8_t* p = &img.pixels[i * static_cast<size_t>(img.channels)];
  if (img.channels <= 2) return p[0] * (1.0f / 255.0f);  // as MnistDataset scales its bytes
  return (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255.0f;
}

float alpha(const Image8& img, size_t i) {
  if (img.channels != 2 && img.channels != 4) return 1;
  return img.pixels[i * static_cast<size_t>(img.channels) + static_cast<size_t>(img.channels) - 1] / 255.0f;
}

/// Step 1: luma with transparency flattened onto the background, block-averaged by an integer
/// factor so the longer side is <= kWorkingSide.
Gray working_gray(const Image8& img, int64_t& factor) {
  const size_t n = static_cast<size_t>(img.width * img.height);
  double sum_a = 0, sum_al = 0;
  bool transparent = false;
  for (size_t i = 0; i < n; ++i) {
    const float a = alpha(img, i);
    transparent |= a < 1;
    sum_a += a;
    sum_al += a * luma(img, i);
  }
  const float bg = sum_a > 0 && sum_al / sum_a < 0.5 ? 1.0f : 0.0f;  // opposite of the object
  factor = std::max<int64_t>(1, (std::max(img.width, img.height) + kWorkingSide - 1) / kWorkingSide);
  Gray g((img.width + factor - 1) / factor, (img.height + factor - 1) / factor), count(g.w, g.h);
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x) {
      const size_t i = static_cast<size_t>(y * img.width + x);
      float l = luma(img, i);
      if (transparent) l = alpha(img, i) * l + (1 - alpha(img, i)) * bg;
      g.at(x / factor, y / factor) += l;
      count.at(x / factor, y / factor) += 1;
    }
  for (size_t i = 0; i < g.v.size(); ++i) g.v[i] /= count.v[i];
  return g;
}

/// The pixels of the four corner patches of side max(1, min(w,h)/14).
std::vector<float> corners(const Gray& g) {
  const int64_t c = std::max<int64_t>(1, std::min(g.w, g.h) / 14);
  std::vector<float> out;
  for (int64_t y = 0; y < g.h; ++y)
    for (int64_t x = 0; x < g.w; ++x)
      if ((y < c || y >= g.h - c) && (x < c || x >= g.w - c)) out.push_back(g.at(x, y));
  return out;
}

}  // namespace

GarmentImage fashion_mnist_image_from_image(const Image8& img, InkPolarity polarity) {
  EMBER_CHECK(img.width >= 1 && img.height >= 1 && img.channels >= 1 && img.channels <= 4,
              "fashion_mnist_image_from_image: needs a non-empty image with 1-4 channels, got ", img.width, "x",
              img.height, "x", img.channels);
  EMBER_CHECK(img.pixels.size() == static_cast<size_t>(img.width * img.height * img.channels),
              "fashion_mnist_image_from_image: ", img.pixels.size(), " bytes for a ", img.width, "x", img.height,
              "x", img.channels, " image");
  GarmentImage out;
  int64_t factor = 1;
  Gray g = working_gray(img, factor);

  // 2. Background level from the corners; polarity.
  std::vector<float> corner = corners(g);
  const float level = detail::quantile(corner, 0.5);
  out.inverted = polarity == InkPolarity::kAuto ? level > 0.5f : polarity == InkPolarity::kDarkOnLight;
  if (out.inverted)
    for (float& v : g.v) v = 1 - v;
  const float bg = out.inverted ? 1 - level : level;

  // 3. Already the data set's size: taken as it is.
  if (g.w == kSide && g.h == kSide) {
    out.image = from_vector(g.v, {1, kSide, kSide});
    out.box_w = out.box_h = kSide;
    return out;
  }

  // 4. Remove the background, trim, scale the longer side to 28, centre.
  for (float& v : corner) v = std::fabs((out.inverted ? 1 - v : v) - bg);
  const float range = std::max(1 - bg, 0.05f);
  const float noise = 1.4826f * detail::quantile(corner, 0.5) / range;
  const float cut = std::max(0.04f, 4 * noise);
  int64_t x0 = g.w, y0 = g.h, x1 = 0, y1 = 0;
  for (int64_t y = 0; y < g.h; ++y)
    for (int64_t x = 0; x < g.w; ++x) {
      float& v = g.at(x, y);
      v = std::clamp((v - bg) / range, 0.0f, 1.0f);
      if (v <= cut) {
        v = 0;
        continue;
      }
      x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
    }
  EMBER_CHECK(x1 > x0 && y1 > y0, "no object found: the image is blank (nothing stands out from its background, level ",
              level, ")");
  out.cropped = true;
  out.box_x = x0 * factor;
  out.box_y = y0 * factor;
  out.box_w = std::min(x1 * factor, img.width) - out.box_x;
  out.box_h = std::min(y1 * factor, img.height) - out.box_y;
  Gray crop(x1 - x0, y1 - y0);
  for (int64_t y = 0; y < crop.h; ++y)
    for (int64_t x = 0; x < crop.w; ++x) crop.at(x, y) = g.at(x0 + x, y0 + y);
  Gray small = detail::resize(crop, static_cast<double>(kSide) / static_cast<double>(std::max(crop.w, crop.h)));
  const int64_t nw = std::min(small.w, kSide), nh = std::min(small.h, kSide);
  const int64_t ox = (kSide - nw) / 2, oy = (kSide - nh) / 2;
  out.image = zeros({1, kSide, kSide});
  float* dst = out.image.data_ptr<float>();
  for (int64_t y = 0; y < nh; ++y)
    for (int64_t x = 0; x < nw; ++x) dst[(oy + y) * kSide + ox + x] = std::clamp(small.at(x, y), 0.0f, 1.0f);
  return out;
}

}  // namespace ember::data
