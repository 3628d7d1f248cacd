// mnist_digit_from_image: crop, 20x20 fit with the aspect ratio kept, centre of mass at (14,14),
// transparency (dark or light ink), polarity (white canvas, dim photo, chalk board), lighting
// gradients, specks, thin strokes, blank images; and the committed digit pictures in images/.
#include <array>
#include <cmath>
#include <filesystem>
#include <functional>

#include "ember/data/image_digit.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::data;

namespace {

using Pixel = std::array<float, 4>;  // the first `channels` values are used, in [0,1]

Image8 make(int64_t w, int64_t h, int64_t channels, const std::function<Pixel(int64_t, int64_t)>& f) {
  Image8 img{w, h, channels, std::vector<uint8_t>(static_cast<size_t>(w * h * channels))};
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      Pixel p = f(x, y);
      for (int64_t c = 0; c < channels; ++c)
        img.pixels[static_cast<size_t>((y * w + x) * channels + c)] =
            static_cast<uint8_t>(std::lround(255 * std::clamp(p[static_cast<size_t>(c)], 0.0f, 1.0f)));
    }
  return img;
}

// How much of pixel (x,y) a ring of radius r and thickness t centred at (cx,cy) covers.
float ring(int64_t x, int64_t y, double cx, double cy, double r, double t) {
  double d = std::hypot(x + 0.5 - cx, y + 0.5 - cy);
  return static_cast<float>(std::clamp(t / 2 + 0.5 - std::fabs(d - r), 0.0, 1.0));
}

float rect(int64_t x, int64_t y, int64_t x0, int64_t y0, int64_t w, int64_t h) {
  return x >= x0 && x < x0 + w && y >= y0 && y < y0 + h ? 1.0f : 0.0f;
}

Pixel gray(float v) { return {v, v, v, 1}; }

struct Stats {
  double mass = 0, cx = 0, cy = 0;
  int64_t x0 = 28, y0 = 28, x1 = -1, y1 = -1;  // ink (> 0.02) bounding box, inclusive
  float lo = 1, hi = 0;
};

Stats stats(const Tensor& t) {
  EXPECT_EQ(t.shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(t.dtype(), kFloat32);
  std::vector<float> v = t.to_vector<float>();
  Stats s;
  for (int64_t y = 0; y < 28; ++y)
    for (int64_t x = 0; x < 28; ++x) {
      float p = v[static_cast<size_t>(y * 28 + x)];
      s.lo = std::min(s.lo, p), s.hi = std::max(s.hi, p);
      s.mass += p, s.cx += p * static_cast<double>(x), s.cy += p * static_cast<double>(y);
      if (p > 0.02f) s.x0 = std::min(s.x0, x), s.y0 = std::min(s.y0, y), s.x1 = std::max(s.x1, x), s.y1 = std::max(s.y1, y);
    }
  s.cx /= s.mass, s.cy /= s.mass;
  return s;
}

// What every MNIST-format output satisfies: [0,1], black background, centred by mass as MNIST's
// digits are (their centres lie within 0.5 px of (14,14)), longer side 20 px.
void expect_mnist_like(const Tensor& t) {
  Stats s = stats(t);
  EXPECT_GE(s.lo, 0.0f);
  EXPECT_LE(s.hi, 1.0f);
  EXPECT_GT(s.hi, 0.9f);
  EXPECT_NEAR(s.cx, 14.0, 0.5);
  EXPECT_NEAR(s.cy, 14.0, 0.5);
  EXPECT_EQ(std::max(s.x1 - s.x0, s.y1 - s.y0) + 1, 20);
  std::vector<float> v = t.to_vector<float>();
  for (int64_t i = 0; i < 28; ++i) EXPECT_EQ(v[static_cast<size_t>(i)], 0.0f) << "top row, x " << i;
}

}  // namespace

TEST(DigitImage, DarkBarOffCentreOnWhiteCanvas) {
  // The issue's case: dark ink off-centre on a 640x480 white canvas. A 40x120 bar becomes 7x20.
  Image8 img = make(640, 480, 3, [](int64_t x, int64_t y) { return gray(1 - 0.9f * rect(x, y, 400, 100, 40, 120)); });
  DigitImage d = mnist_digit_from_image(img);
  EXPECT_TRUE(d.inverted);
  EXPECT_FALSE(d.thickened);
  EXPECT_EQ(d.box_x, 400);
  EXPECT_EQ(d.box_y, 100);
  EXPECT_EQ(d.box_w, 40);
  EXPECT_EQ(d.box_h, 120);
  expect_mnist_like(d.image);
  Stats s = stats(d.image);
  EXPECT_EQ(s.x1 - s.x0 + 1, 7);  // 40 * 20/120 = 6.7 keeps the aspect ratio
  EXPECT_EQ(s.y1 - s.y0 + 1, 20);
  EXPECT_NEAR(s.mass, 20 * 40 * 20 / 120.0, 0.01);  // area averaging keeps the ink's mass
}

TEST(DigitImage, WideShapeKeepsItsAspectRatio) {
  Image8 img = make(300, 300, 1, [](int64_t x, int64_t y) { return gray(rect(x, y, 50, 120, 200, 50)); });
  DigitImage d = mnist_digit_from_image(img);
  EXPECT_FALSE(d.inverted);
  Stats s = stats(d.image);
  EXPECT_EQ(s.x1 - s.x0 + 1, 20);
  EXPECT_EQ(s.y1 - s.y0 + 1, 5);
  EXPECT_NEAR(s.cx, 14.0, 0.5);
  EXPECT_NEAR(s.cy, 14.0, 0.5);
}

TEST(DigitImage, AnMnistDigitIsLeftAsItIs) {
  // A 28x28 light-on-dark "7", 20 px tall, placed (as MNIST's are) with its centre of mass
  // within half a pixel of (14,14): nothing to do but at most a 1 px shift.
  auto shape = [](int64_t x, int64_t y) { return std::max(rect(x, y, 0, 0, 12, 3), rect(x, y, 8, 0, 3, 20)); };
  double m = 0, mx = 0, my = 0;
  for (int64_t y = 0; y < 20; ++y)
    for (int64_t x = 0; x < 12; ++x) m += shape(x, y), mx += shape(x, y) * x, my += shape(x, y) * y;
  const int64_t ox = std::lround(14 - mx / m), oy = std::lround(14 - my / m);
  auto seven = [&](int64_t x, int64_t y) { return gray(shape(x - ox, y - oy)); };
  Image8 img = make(28, 28, 1, seven);
  DigitImage d = mnist_digit_from_image(img);
  EXPECT_FALSE(d.inverted);
  std::vector<float> out = d.image.to_vector<float>();
  double best = 1e9;
  for (int64_t dy = -1; dy <= 1; ++dy)
    for (int64_t dx = -1; dx <= 1; ++dx) {
      double worst = 0;
      for (int64_t y = 0; y < 28; ++y)
        for (int64_t x = 0; x < 28; ++x) {
          float want = (x - dx < 0 || y - dy < 0 || x - dx >= 28 || y - dy >= 28) ? 0 : seven(x - dx, y - dy)[0];
          worst = std::max(worst, std::fabs(double(out[static_cast<size_t>(y * 28 + x)]) - want));
        }
      best = std::min(best, worst);
    }
  std::string art;
  for (int64_t i = 0; i < 28 * 28; ++i) art += std::string(out[static_cast<size_t>(i)] > 0.5f ? "#" : out[static_cast<size_t>(i)] > 0 ? "." : " ") + (i % 28 == 27 ? "\n" : "");
  EXPECT_LT(best, 1e-5) << art;
  expect_mnist_like(d.image);
}

TEST(DigitImage, TransparentBackgroundWithDarkOrLightInk) {
  // What stays is the drawing, whatever colour the transparent pixels hold (here the ink's own).
  auto a = [](int64_t x, int64_t y) { return ring(x, y, 130, 90, 50, 14); };
  Tensor ref_dark = mnist_digit_from_image(make(240, 200, 3, [&](int64_t x, int64_t y) { return gray(1 - a(x, y)); })).image;
  Tensor ref_light = mnist_digit_from_image(make(240, 200, 3, [&](int64_t x, int64_t y) { return gray(a(x, y)); })).image;
  EXPECT_ALLCLOSE(ref_dark, ref_light, 0, 1e-5);
  for (float ink : {0.0f, 0.1f}) {
    DigitImage d = mnist_digit_from_image(make(240, 200, 4, [&](int64_t x, int64_t y) { return Pixel{ink, ink, ink, a(x, y)}; }));
    EXPECT_TRUE(d.inverted) << "dark ink " << ink;
    EXPECT_ALLCLOSE(d.image, ref_dark, 0, 0.02);
    d = mnist_digit_from_image(make(240, 200, 2, [&](int64_t x, int64_t y) { return Pixel{ink, a(x, y), 0, 0}; }));
    EXPECT_TRUE(d.inverted) << "gray+alpha, dark ink " << ink;
    EXPECT_ALLCLOSE(d.image, ref_dark, 0, 0.02);
  }
  for (float ink : {1.0f, 0.9f}) {
    DigitImage d = mnist_digit_from_image(make(240, 200, 4, [&](int64_t x, int64_t y) { return Pixel{ink, ink, ink, a(x, y)}; }));
    EXPECT_FALSE(d.inverted) << "light ink " << ink;
    EXPECT_ALLCLOSE(d.image, ref_light, 0, 0.02);
  }
  // A photo with transparent corners (black behind them): the corners take the paper's colour.
  auto photo = [&](int64_t x, int64_t y) {
    bool corner = x < 60 && y < 60;
    float v = 0.8f - 0.6f * a(x, y);
    return corner ? Pixel{0, 0, 0, 0} : Pixel{v, v, v, 1};
  };
  DigitImage d = mnist_digit_from_image(make(240, 200, 4, photo));
  EXPECT_TRUE(d.inverted);
  EXPECT_ALLCLOSE(d.image, ref_dark, 0, 0.05);
  EXPECT_NEAR(d.box_x, 73, 1);  // the ring's box, not the corner
  EXPECT_NEAR(d.box_y, 33, 1);
}

TEST(DigitImage, PolarityOfDimPhotoAndChalkBoard) {
  // Dark ink on dim grey paper lit from the left: the border is darker than mid-grey (a rule
  // on the border's mean would not invert it), yet it is dark ink on light paper.
  auto paper = [](int64_t x, int64_t y) { return 0.18f + 0.3f * static_cast<float>(x) / 640 + 0.05f * static_cast<float>(y) / 480; };
  Image8 dim = make(640, 480, 3, [&](int64_t x, int64_t y) {
    float noise = 0.02f * static_cast<float>(((x * 7919 + y * 104729) % 13) - 6) / 6;
    return gray(paper(x, y) * (1 - 0.75f * ring(x, y, 250, 260, 70, 18)) + noise);
  });
  DigitImage d = mnist_digit_from_image(dim);
  EXPECT_TRUE(d.inverted);
  EXPECT_NEAR(d.box_x, 250 - 79, 2);
  EXPECT_NEAR(d.box_w, 2 * 79, 3);
  expect_mnist_like(d.image);
  // Chalk on a dark board with a smudge gradient: light ink, not inverted.
  Image8 board = make(640, 480, 3, [&](int64_t x, int64_t y) {
    float b = 0.15f + 0.1f * static_cast<float>(y) / 480;
    float c = ring(x, y, 320, 240, 90, 20);
    return Pixel{b + 0.7f * c, b + 0.05f + 0.7f * c, b + 0.7f * c, 1};
  });
  d = mnist_digit_from_image(board);
  EXPECT_FALSE(d.inverted);
  expect_mnist_like(d.image);
  // --invert overrides: stated polarity is used; the wrong one finds no ink.
  DigitOptions dark_on_light{InkPolarity::kDarkOnLight}, light_on_dark{InkPolarity::kLightOnDark};
  EXPECT_TRUE(mnist_digit_from_image(dim, dark_on_light).inverted);
  EXPECT_FALSE(mnist_digit_from_image(board, light_on_dark).inverted);
  EXPECT_EMBER_ERROR(mnist_digit_from_image(board, dark_on_light), "blank");
}

TEST(DigitImage, LightingGradientAndSpecksAreRemoved) {
  // Paper from 0.3 (left) to 0.95 (right) with a vignette, a dark ring, and five specks.
  Image8 img = make(500, 400, 1, [](int64_t x, int64_t y) {
    double u = x / 500.0 - 0.5, v = y / 400.0 - 0.5;
    float paper = static_cast<float>((0.3 + 0.65 * (u + 0.5)) * (1 - 0.3 * (u * u + v * v)));
    float speck = 0;
    for (auto [sx, sy] : {std::pair{20, 20}, {470, 30}, {30, 370}, {480, 380}, {100, 300}})
      speck = std::max(speck, rect(x, y, sx, sy, 2, 2));
    return gray(paper * (1 - 0.7f * std::max(ring(x, y, 260, 200, 60, 14), speck)));
  });
  DigitImage d = mnist_digit_from_image(img);
  EXPECT_TRUE(d.inverted);
  EXPECT_NEAR(d.box_x, 260 - 67, 1);
  EXPECT_NEAR(d.box_y, 200 - 67, 1);
  EXPECT_NEAR(d.box_w, 134, 2);
  EXPECT_NEAR(d.box_h, 134, 2);
  expect_mnist_like(d.image);
  // The ring's hole stays black: the gradient left nothing behind.
  EXPECT_LT(d.image.to_vector<float>()[14 * 28 + 14], 0.01f);
}

TEST(DigitImage, ThinStrokesAreWidenedToMnistsWidth) {
  Image8 thin = make(400, 400, 1, [](int64_t x, int64_t y) { return gray(1 - ring(x, y, 200, 200, 150, 2)); });
  DigitImage d = mnist_digit_from_image(thin);
  EXPECT_TRUE(d.thickened);
  expect_mnist_like(d.image);
  // Along the middle row the left stroke is about MNIST's 2-3 px wide and solid.
  std::vector<float> v = d.image.to_vector<float>();
  double across = 0;
  float peak = 0;
  for (int64_t x = 0; x < 10; ++x) across += v[14 * 28 + x], peak = std::max(peak, v[14 * 28 + x]);
  EXPECT_GT(across, 1.8);
  EXPECT_LT(across, 3.5);
  EXPECT_GT(peak, 0.9f);
  Image8 bold = make(400, 400, 1, [](int64_t x, int64_t y) { return gray(1 - ring(x, y, 200, 200, 150, 50)); });
  EXPECT_FALSE(mnist_digit_from_image(bold).thickened);
}

TEST(DigitImage, LargeImagesAreReducedFirstAndBoxesAreInInputPixels) {
  Image8 img = make(3000, 2000, 1, [](int64_t x, int64_t y) { return gray(1 - ring(x, y, 2000, 700, 300, 60)); });
  DigitImage d = mnist_digit_from_image(img);
  EXPECT_NEAR(d.box_x, 2000 - 330, 4);
  EXPECT_NEAR(d.box_y, 700 - 330, 4);
  EXPECT_NEAR(d.box_w, 660, 6);
  expect_mnist_like(d.image);
}

TEST(DigitImage, BlankImagesAreErrors) {
  EXPECT_EMBER_ERROR(mnist_digit_from_image(make(640, 480, 3, [](int64_t, int64_t) { return gray(1); })), "blank");
  EXPECT_EMBER_ERROR(mnist_digit_from_image(make(64, 64, 1, [](int64_t, int64_t) { return gray(0); })), "blank");
  EXPECT_EMBER_ERROR(mnist_digit_from_image(make(1, 1, 1, [](int64_t, int64_t) { return gray(0.5f); })), "blank");
  // Paper with noise only, and a fully transparent image.
  EXPECT_EMBER_ERROR(mnist_digit_from_image(make(300, 200, 1, [](int64_t x, int64_t y) {
                       return gray(0.7f + 0.03f * static_cast<float>(((x * 7919 + y * 104729) % 17) - 8) / 8);
                     })),
                     "blank");
  EXPECT_EMBER_ERROR(mnist_digit_from_image(make(100, 100, 4, [](int64_t, int64_t) { return Pixel{0, 0, 0, 0}; })), "blank");
  Image8 bad{4, 4, 5, std::vector<uint8_t>(80)};
  EXPECT_EMBER_ERROR(mnist_digit_from_image(bad), "1-4 channels");
  Image8 short_buffer{4, 4, 3, std::vector<uint8_t>(47)};
  EXPECT_EMBER_ERROR(mnist_digit_from_image(short_buffer), "47 bytes");
}

TEST(DigitImage, CommittedPictures) {
  // images/: real MNIST test digits drawn as photos and drawings (make_digit_photos.cpp).
  // name -> dark ink?, thin pen?
  const std::filesystem::path dir = std::filesystem::path(EMBER_TEST_SOURCE_DIR) / "data" / "images";
  struct Want {
    const char* name;
    int channels;
    bool inverted, thickened;
  };
  const Want wants[] = {{"2_white_canvas.png", 3, true, false},      {"3_transparent_dark.png", 4, true, false},
                        {"4_thin_pen.jpg", 3, true, true},           {"5_transparent_light.png", 4, false, false},
                        {"6_chalkboard.jpg", 3, false, false},       {"7_dim_photo.jpg", 3, true, false}};
  for (const Want& w : wants) {
    SCOPED_TRACE(w.name);
    Image8 img = load_image((dir / w.name).string());
    EXPECT_EQ(img.channels, w.channels);
    DigitImage d = mnist_digit_from_image(img);
    EXPECT_EQ(d.inverted, w.inverted);
    EXPECT_EQ(d.thickened, w.thickened);
    EXPECT_GE(d.box_h, 150);  // the digits are drawn 190-230 px tall
    EXPECT_LE(d.box_h, 240);
    EXPECT_LE(d.box_x + d.box_w, img.width);
    EXPECT_LE(d.box_y + d.box_h, img.height);
    expect_mnist_like(d.image);
    double mass = stats(d.image).mass;
    EXPECT_GT(mass, 50);  // MNIST's digits: 104 on average
    EXPECT_LT(mass, 200);
  }
}

TEST(DigitImage, SmallDigitInALargePhoto) {
  // A digit 30 px across in a 1600x1200 dim photo of paper with faint bright fibres: a few
  // hundredths of a percent of the pixels are ink, fewer than the fibres, but the ink is far
  // from the paper's level and the fibres are not.
  Image8 img = make(1600, 1200, 3, [](int64_t x, int64_t y) {
    float grain = 0.01f * static_cast<float>(((x * 7919 + y * 104729) % 23) - 11) / 11;
    float fibre = ((x / 3) * 2654435761u + y * 40503u) % 97 == 0 ? 0.06f : 0.0f;
    return gray(0.35f * (1 - 0.7f * ring(x, y, 1200, 300, 12, 4)) + grain + fibre);
  });
  DigitImage d = mnist_digit_from_image(img);
  EXPECT_TRUE(d.inverted);
  EXPECT_NEAR(d.box_x, 1200 - 14, 3);
  EXPECT_NEAR(d.box_h, 28, 4);
  expect_mnist_like(d.image);
}
