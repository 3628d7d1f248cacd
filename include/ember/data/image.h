// Image files for prediction and tools: decoding PNG/JPEG/BMP/... to a grayscale tensor
// resized to a square, and writing a grayscale tensor as PNG (both via stb).
#pragma once
#include <cstdint>
#include <string>

#include "ember/tensor.h"

namespace ember::data {

/// Decodes an image file (anything stb_image reads: PNG, JPEG, BMP, GIF, TGA, PNM...), converts
/// it to grayscale (luma) and resizes it to size x size (stb_image_resize, which area-averages
/// when shrinking). Returns float32 (1,size,size) in [0,1]. Requires size >= 1; an unreadable
/// or undecodable file throws ember::Error naming the file and stb's reason.
Tensor load_image_gray(const std::string& path, int64_t size = 28);

/// Writes a grayscale image as an 8-bit PNG: t is (H,W) or (1,H,W), any real dtype, values in
/// [0,1] (clamped, rounded to 0..255). Throws ember::Error on a bad shape or a failed write.
void save_png_gray(const std::string& path, const Tensor& t);

}  // namespace ember::data
