// Small float-image helpers behind mnist_digit_from_image (src/data/image_digit.cpp): a gray
// plane, quantiles, a 3x3 blur, a robust quadratic background fit, area-averaging resize,
// connected components and a Euclidean distance transform. Internal to libember.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ember::data::detail {

/// A single-channel float image, row-major.
struct Gray {
  int64_t w = 0, h = 0;
  std::vector<float> v;  // h*w
  Gray() = default;
  Gray(int64_t width, int64_t height, float fill = 0) : w(width), h(height), v(static_cast<size_t>(width * height), fill) {}
  float& at(int64_t x, int64_t y) { return v[static_cast<size_t>(y * w + x)]; }
  float at(int64_t x, int64_t y) const { return v[static_cast<size_t>(y * w + x)]; }
};

/// The q-quantile (q in [0,1]) of values by nth_element; requires values non-empty.
float quantile(std::vector<float> values, double q);

/// 3x3 mean filter, edges replicated.
Gray box_blur3(const Gray& g);

/// The pixels of g's outer band of the given width (>= 1), each once.
std::vector<float> border_band(const Gray& g, int64_t band);

/// A smooth background level: c0 + c1 x + c2 y + c3 x^2 + c4 xy + c5 y^2, with x and y scaled
/// to [-1,1] over the image (fewer terms where too few pixels fit).
struct Surface {
  int64_t w = 1, h = 1;
  double c[6] = {0, 0, 0, 0, 0, 0};
  double at(int64_t x, int64_t y) const;
};

/// Fits the background of g robustly: starts flat at the median of the border band, then
/// refits by least squares to the pixels within 3 noise sigmas (sigma from the border's median
/// absolute residual) a few times, so ink (far from the background) is left out. Sets
/// sigma to the final noise estimate (>= 0.004). Requires g non-empty, band >= 1.
Surface fit_background(const Gray& g, int64_t band, float& sigma);

/// Scales g by scale > 0 on both axes, to ceil(w*scale) x ceil(h*scale) (at least 1x1): exact
/// area averaging when shrinking (a partly covered last row/column keeps the mass), linear
/// interpolation when growing.
Gray resize(const Gray& g, double scale);

/// Labels the 8-connected pieces of pixels > 0: labels[i] in 1..count, 0 for the background.
std::vector<int32_t> label_components(const Gray& g, int32_t& count);

/// Euclidean distance from each pixel to the nearest pixel with mask != 0 (a large value
/// where the mask is empty). mask has w*h entries.
std::vector<float> distance_to_mask(const std::vector<uint8_t>& mask, int64_t w, int64_t h);

}  // namespace ember::data::detail
