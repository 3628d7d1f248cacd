// Image files for prediction and tools: decoding PNG/JPEG/BMP/... (via stb) to 8-bit pixels with
// their channels, or to a grayscale tensor resized to a square, and writing a grayscale tensor as
// PNG. Decoding refuses images larger than a pixel limit before allocating (decompression bombs).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ember/tensor.h"

namespace ember::data {

/// The most pixels (width x height) the loaders decode by default: 50 megapixels, a 200 MB RGBA
/// buffer. A 100-byte PNG can claim 2^31 x 2^31 pixels; the header is read first and refused.
inline constexpr int64_t kMaxImagePixels = 50'000'000;

/// A decoded 8-bit image: row-major, channels interleaved. channels is 1 (gray), 2 (gray,
/// alpha), 3 (RGB) or 4 (RGBA); pixels.size() == width * height * channels.
struct Image8 {
  int64_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

/// Decodes an image file (anything stb_image reads: PNG, JPEG, BMP, GIF (first frame), TGA,
/// PNM, PSD, HDR...) keeping its own channels (16-bit PNGs become 8-bit). Requires
/// max_pixels >= 1. Reads the dimensions first and refuses, before decoding, an image of more
/// than max_pixels pixels. Every failure (missing, empty, undecodable, too large) throws
/// ember::Error naming the file.
Image8 load_image(const std::string& path, int64_t max_pixels = kMaxImagePixels);

/// Decodes an image file (as load_image, same pixel limit), converts it to grayscale (luma,
/// alpha ignored) and resizes it to size x size (stb_image_resize). Returns float32
/// (1,size,size) in [0,1]. No digit preprocessing: see mnist_digit_from_image in
/// ember/data/image_digit.h for that. Requires size in 1..16384; failures as load_image.
Tensor load_image_gray(const std::string& path, int64_t size = 28);

/// Writes a grayscale image as an 8-bit PNG: t is (H,W) or (1,H,W), any real dtype, values in
/// [0,1] (clamped, rounded to 0..255). Throws ember::Error on a bad shape or a failed write.
void save_png_gray(const std::string& path, const Tensor& t);

}  // namespace ember::data
