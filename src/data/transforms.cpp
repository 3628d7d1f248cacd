// Batch transforms on (N,C,H,W) float32 CPU images: per-channel Normalize, per-sample
// RandomShift/RandomCrop (pad + crop with explicit integer draws) and RandomHorizontalFlip,
// plus Compose. All write a new inputs tensor; the dataset's tensors are never touched.
#include "ember/data/transforms.h"

#include <algorithm>
#include <cstring>

#include "ember/autograd.h"

namespace ember::data {

namespace {

/// batch.inputs as a contiguous float32 (N,C,H,W) CPU tensor; errors name the transform.
Tensor image_batch(const char* who, const Batch& batch) {
  const Tensor& x = batch.inputs;
  EMBER_CHECK(x.defined(), who, ": batch has no inputs");
  EMBER_CHECK(x.dim() == 4, who, ": expects images (N,C,H,W), got inputs ", shape_str(x.shape()));
  EMBER_CHECK(x.dtype() == DType::Float32, who, ": expects float32 images, got ", dtype_name(x.dtype()));
  NoGradGuard ng;
  return x.to(Device()).contiguous();
}

/// A draw in [0, range) from the generator (range >= 1).
int64_t draw_below(Generator& gen, int64_t range) {
  return static_cast<int64_t>(gen.next_u64() % static_cast<uint64_t>(range));
}

/// out (H_out x W_out plane) = in plane (H x W) read at (y + oy, x + ox), `fill` outside.
void copy_window(const float* in, int64_t h, int64_t w, float* out, int64_t ho, int64_t wo, int64_t oy,
                 int64_t ox, float fill) {
  for (int64_t y = 0; y < ho; ++y) {
    float* orow = out + y * wo;
    int64_t sy = y + oy;
    if (sy < 0 || sy >= h) {
      for (int64_t x = 0; x < wo; ++x) orow[x] = fill;
      continue;
    }
    const float* irow = in + sy * w;
    int64_t x0 = std::clamp<int64_t>(-ox, 0, wo), x1 = std::clamp<int64_t>(w - ox, 0, wo);
    for (int64_t x = 0; x < x0; ++x) orow[x] = fill;
    if (x1 > x0) std::memcpy(orow + x0, irow + x0 + ox, sizeof(float) * static_cast<size_t>(x1 - x0));
    for (int64_t x = std::max(x0, x1); x < wo; ++x) orow[x] = fill;
  }
}

}  // namespace

Normalize::Normalize(std::vector<double> m, std::vector<double> s) : mean(std::move(m)), std(std::move(s)) {
  EMBER_CHECK(!mean.empty() && !std.empty(), "Normalize: mean and std must not be empty");
  for (double v : std) EMBER_CHECK(v > 0, "Normalize: std values must be > 0, got ", v);
}

void Normalize::operator()(Batch& batch, Generator&) const {
  Tensor x = image_batch("Normalize", batch);
  int64_t n = x.size(0), c = x.size(1), plane = x.size(2) * x.size(3);
  auto fits = [&](const std::vector<double>& v) { return static_cast<int64_t>(v.size()) == c || v.size() == 1; };
  EMBER_CHECK(fits(mean) && fits(std), "Normalize: ", mean.size(), " means and ", std.size(),
              " stds for images with ", c, " channels (need ", c, " or 1)");
  Tensor out = empty(x.shape());
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      float m = static_cast<float>(mean.size() == 1 ? mean[0] : mean[ch]);
      float inv = static_cast<float>(1.0 / (std.size() == 1 ? std[0] : std[ch]));
      int64_t base = (i * c + ch) * plane;
      for (int64_t k = 0; k < plane; ++k) o[base + k] = (in[base + k] - m) * inv;
    }
  batch.inputs = out;
}

RandomShift::RandomShift(int64_t max, double f) : max_pixels(max), fill(f) {
  EMBER_CHECK(max_pixels >= 0, "RandomShift: max_pixels must be >= 0, got ", max_pixels);
}

void RandomShift::operator()(Batch& batch, Generator& gen) const {
  Tensor x = image_batch("RandomShift", batch);
  int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  Tensor out = empty(x.shape());
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t dy = draw_below(gen, 2 * max_pixels + 1) - max_pixels;
    int64_t dx = draw_below(gen, 2 * max_pixels + 1) - max_pixels;
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t off = (i * c + ch) * h * w;
      copy_window(in + off, h, w, o + off, h, w, -dy, -dx, static_cast<float>(fill));
    }
  }
  batch.inputs = out;
}

RandomCrop::RandomCrop(int64_t s, int64_t p) : size(s), padding(p) {
  EMBER_CHECK(size >= 1, "RandomCrop: size must be >= 1, got ", size);
  EMBER_CHECK(padding >= 0, "RandomCrop: padding must be >= 0, got ", padding);
}

void RandomCrop::operator()(Batch& batch, Generator& gen) const {
  Tensor x = image_batch("RandomCrop", batch);
  int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  EMBER_CHECK(size <= h + 2 * padding && size <= w + 2 * padding, "RandomCrop: crop ", size, "x", size,
              " larger than the padded image ", h + 2 * padding, "x", w + 2 * padding);
  Tensor out = empty({n, c, size, size});
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t top = draw_below(gen, h + 2 * padding - size + 1) - padding;
    int64_t left = draw_below(gen, w + 2 * padding - size + 1) - padding;
    for (int64_t ch = 0; ch < c; ++ch)
      copy_window(in + (i * c + ch) * h * w, h, w, o + (i * c + ch) * size * size, size, size, top, left, 0.0f);
  }
  batch.inputs = out;
}

RandomHorizontalFlip::RandomHorizontalFlip(double prob) : p(prob) {
  EMBER_CHECK(p >= 0 && p <= 1, "RandomHorizontalFlip: p must be in [0,1], got ", p);
}

void RandomHorizontalFlip::operator()(Batch& batch, Generator& gen) const {
  Tensor x = image_batch("RandomHorizontalFlip", batch);
  int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  Tensor out = empty(x.shape());
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    bool flip = gen.uniform() < p;
    int64_t len = c * h * w;
    const float* src = in + i * len;
    float* dst = o + i * len;
    if (!flip) {
      std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(len));
      continue;
    }
    for (int64_t r = 0; r < c * h; ++r)
      for (int64_t col = 0; col < w; ++col) dst[r * w + col] = src[r * w + (w - 1 - col)];
  }
  batch.inputs = out;
}

Compose::Compose(std::vector<BatchTransform> ts) : transforms(std::move(ts)) {}

void Compose::operator()(Batch& batch, Generator& gen) const {
  for (const auto& t : transforms)
    if (t) t(batch, gen);
}

}  // namespace ember::data
