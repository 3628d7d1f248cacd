// Image files via Debian's stb (libstb: implementations live in the library, so no
// STB_*_IMPLEMENTATION here): decode (header checked against a pixel limit first) to 8-bit
// pixels or to grayscale resized with stb_image_resize; write PNG.
#include "ember/data/image.h"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "data/file_util.h"
#include "ember/autograd.h"

namespace ember::data {

namespace {

using StbPixels = std::unique_ptr<stbi_uc, void (*)(void*)>;

std::string megapixels(int64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f megapixels", static_cast<double>(n) / 1e6);
  return buf;
}

/// Reads and decodes path with stb into `channels` per pixel (0: the file's own), after checking
/// the header's dimensions against max_pixels. what names the caller in messages.
StbPixels decode(const char* what, const std::string& path, int want_channels, int64_t max_pixels, int& w, int& h,
                 int& channels) {
  EMBER_CHECK(max_pixels >= 1, what, ": ", path, ": max_pixels must be >= 1, got ", max_pixels);
  std::vector<uint8_t> bytes = detail::read_file(path);  // names the file when missing
  EMBER_CHECK(!bytes.empty(), what, ": ", path, ": empty file");
  EMBER_CHECK(bytes.size() <= 0x7fffffffu, what, ": ", path, ": file too large");
  const int len = static_cast<int>(bytes.size());
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &channels)) {
    const char* why = stbi_failure_reason();
    EMBER_FAIL(what, ": ", path, ": cannot decode image (stb: ", why ? why : "unknown error", ")");
  }
  EMBER_CHECK(w >= 1 && h >= 1, what, ": ", path, ": image has no pixels (", w, "x", h, ")");
  const int64_t n = static_cast<int64_t>(w) * h;
  EMBER_CHECK(n <= max_pixels, what, ": ", path, ": image is ", w, "x", h, " (", megapixels(n),
              "), more than the limit of ", megapixels(max_pixels), "; not decoding it");
  StbPixels pixels(stbi_load_from_memory(bytes.data(), len, &w, &h, &channels, want_channels), stbi_image_free);
  if (!pixels) {
    const char* why = stbi_failure_reason();
    EMBER_FAIL(what, ": ", path, ": cannot decode image (stb: ", why ? why : "unknown error", ")");
  }
  EMBER_CHECK(w >= 1 && h >= 1 && static_cast<int64_t>(w) * h <= max_pixels, what, ": ", path,
              ": decoded size ", w, "x", h, " differs from its header");
  return pixels;
}

}  // namespace

Image8 load_image(const std::string& path, int64_t max_pixels) {
  int w = 0, h = 0, channels = 0;
  StbPixels pixels = decode("load_image", path, 0, max_pixels, w, h, channels);
  EMBER_CHECK(channels >= 1 && channels <= 4, "load_image: ", path, ": unsupported channel count ", channels);
  Image8 img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.assign(pixels.get(), pixels.get() + static_cast<size_t>(w) * static_cast<size_t>(h) * channels);
  return img;
}

Tensor load_image_gray(const std::string& path, int64_t size) {
  EMBER_CHECK(size >= 1 && size <= 16384, "load_image_gray: ", path, ": size must be in 1..16384, got ", size);
  int w = 0, h = 0, channels = 0;
  StbPixels pixels = decode("load_image_gray", path, 1, kMaxImagePixels, w, h, channels);
  std::vector<float> src(static_cast<size_t>(w) * static_cast<size_t>(h));
  for (size_t i = 0; i < src.size(); ++i) src[i] = pixels.get()[i] * (1.0f / 255.0f);
  Tensor out = empty({1, size, size});
  float* dst = out.data_ptr<float>();
  if (w == size && h == size) {
    std::copy(src.begin(), src.end(), dst);
  } else {
    int ok = stbir_resize_float(src.data(), w, h, 0, dst, static_cast<int>(size), static_cast<int>(size), 0, 1);
    EMBER_CHECK(ok, "load_image_gray: ", path, ": resizing ", w, "x", h, " to ", size, "x", size, " failed");
    for (int64_t i = 0; i < size * size; ++i) dst[i] = std::clamp(dst[i], 0.0f, 1.0f);  // filter overshoot
  }
  return out;
}

void save_png_gray(const std::string& path, const Tensor& t) {
  EMBER_CHECK(t.defined(), "save_png_gray: ", path, ": tensor is undefined");
  EMBER_CHECK(t.dim() == 2 || (t.dim() == 3 && t.size(0) == 1), "save_png_gray: ", path,
              ": expects (H,W) or (1,H,W), got ", shape_str(t.shape()));
  int64_t h = t.size(-2), w = t.size(-1);
  EMBER_CHECK(h >= 1 && w >= 1 && h <= 65535 && w <= 65535, "save_png_gray: ", path, ": bad image size ", h, "x", w);
  std::vector<double> v = t.detach().to_vector<double>();
  std::vector<uint8_t> px(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    double x = std::isnan(v[i]) ? 0.0 : std::clamp(v[i], 0.0, 1.0);
    px[i] = static_cast<uint8_t>(std::lround(x * 255.0));
  }
  int ok = stbi_write_png(path.c_str(), static_cast<int>(w), static_cast<int>(h), 1, px.data(), static_cast<int>(w));
  EMBER_CHECK(ok, "save_png_gray: ", path, ": cannot write the PNG file");
}

}  // namespace ember::data
