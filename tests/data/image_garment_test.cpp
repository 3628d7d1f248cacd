// fashion_mnist_image_from_image: a 28x28 data-set image (as `ember data export-image` writes it)
// comes back bit for bit; a dark product on a white page is inverted, trimmed, scaled so its
// longer side is 28 and centred; transparency is background; light-on-dark is left as it is;
// --invert overrides; blank pictures and bad shapes are errors.
#include "ember/data/image_garment.h"

#include "data/test_dir.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::data;
using namespace ember::test;

namespace {

Image8 gray_image(int64_t w, int64_t h, uint8_t fill) {
  return Image8{w, h, 1, std::vector<uint8_t>(static_cast<size_t>(w * h), fill)};
}

/// A 28x28 "garment": black with a bright, textured body touching the left and right edges.
Image8 dataset_like() {
  Image8 img = gray_image(28, 28, 0);
  for (int64_t y = 3; y < 26; ++y)
    for (int64_t x = 0; x < 28; ++x) img.pixels[static_cast<size_t>(y * 28 + x)] = static_cast<uint8_t>(90 + (x * 7 + y * 13) % 160);
  return img;
}

float at(const Tensor& t, int64_t x, int64_t y) { return t.data_ptr<float>()[y * 28 + x]; }

}  // namespace

TEST(GarmentImage, DatasetImageRoundTripsThroughPng) {
  const Image8 img = dataset_like();
  std::vector<float> want(784);
  for (size_t i = 0; i < 784; ++i) want[i] = img.pixels[i] * (1.0f / 255.0f);  // as MnistDataset scales
  TestDir dir;
  save_png_gray(dir / "x.png", from_vector(want, {1, 28, 28}));
  GarmentImage g = fashion_mnist_image_from_image(load_image(dir / "x.png"));
  EXPECT_FALSE(g.inverted);
  EXPECT_FALSE(g.cropped);
  EXPECT_EQ(g.image.shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(g.image.to_vector<float>(), want);  // bit for bit: the same input, the same prediction
}

TEST(GarmentImage, DarkOnLight28x28IsOnlyInverted) {
  Image8 img = dataset_like();
  for (uint8_t& p : img.pixels) p = static_cast<uint8_t>(255 - p);
  GarmentImage g = fashion_mnist_image_from_image(img);
  EXPECT_TRUE(g.inverted);
  std::vector<float> got = g.image.to_vector<float>();
  for (size_t i = 0; i < 784; ++i) ASSERT_EQ(got[i], 1 - img.pixels[i] * (1.0f / 255.0f)) << i;
  // --invert overrides: no inversion even though the background is light, or forced on dark.
  EXPECT_FALSE(fashion_mnist_image_from_image(img, InkPolarity::kLightOnDark).inverted);
  GarmentImage forced = fashion_mnist_image_from_image(dataset_like(), InkPolarity::kDarkOnLight);
  EXPECT_TRUE(forced.inverted);
  EXPECT_FLOAT_EQ(at(forced.image, 0, 0), 1.0f);
}

TEST(GarmentImage, ProductPhotoOnWhiteIsInvertedTrimmedAndCentred) {
  // 300x200 RGB, a white page with slight noise, a dark 60x150 "trouser" at (100, 20).
  Image8 img{300, 200, 3, std::vector<uint8_t>(300 * 200 * 3)};
  for (int64_t y = 0; y < 200; ++y)
    for (int64_t x = 0; x < 300; ++x) {
      const bool body = x >= 100 && x < 160 && y >= 20 && y < 170;
      const uint8_t v = body ? 40 : static_cast<uint8_t>(248 + (x * 31 + y * 17) % 5);
      for (int c = 0; c < 3; ++c) img.pixels[static_cast<size_t>((y * 300 + x) * 3 + c)] = v;
    }
  GarmentImage g = fashion_mnist_image_from_image(img);
  EXPECT_TRUE(g.inverted);
  EXPECT_TRUE(g.cropped);
  EXPECT_EQ(g.box_x, 100);
  EXPECT_EQ(g.box_y, 20);
  EXPECT_EQ(g.box_w, 60);
  EXPECT_EQ(g.box_h, 150);
  // The longer side (150) becomes 28; the width 60 * 28/150 = 11.2 -> 12 columns, centred at 8.
  for (int64_t y = 0; y < 28; ++y)
    for (int64_t x = 0; x < 28; ++x) {
      const float v = at(g.image, x, y);
      if (x < 8 || x >= 20) {
        ASSERT_EQ(v, 0.0f) << x << "," << y;
      } else if (x < 19) {
        ASSERT_GT(v, 0.8f) << x << "," << y;  // light body on black
      }
    }
}

TEST(GarmentImage, TransparentBackgroundIsBackground) {
  // A dark opaque disc on a fully transparent 100x100 RGBA canvas.
  Image8 img{100, 100, 4, std::vector<uint8_t>(100 * 100 * 4, 0)};
  for (int64_t y = 0; y < 100; ++y)
    for (int64_t x = 0; x < 100; ++x)
      if ((x - 50) * (x - 50) + (y - 50) * (y - 50) < 30 * 30) {
        uint8_t* p = &img.pixels[static_cast<size_t>((y * 100 + x) * 4)];
        p[0] = p[1] = p[2] = 30;
        p[3] = 255;
      }
  GarmentImage g = fashion_mnist_image_from_image(img);
  EXPECT_TRUE(g.inverted);
  EXPECT_EQ(at(g.image, 0, 0), 0.0f);
  EXPECT_GT(at(g.image, 14, 14), 0.8f);
  EXPECT_NEAR(g.box_w, 59, 1);
}

TEST(GarmentImage, LightOnDarkLargePictureIsNotInverted) {
  // 3000x1000: block-averaged to 1000x334 first; the box is still in input pixels.
  Image8 img = gray_image(3000, 1000, 10);
  for (int64_t y = 300; y < 600; ++y)
    for (int64_t x = 1200; x < 2100; ++x) img.pixels[static_cast<size_t>(y * 3000 + x)] = 220;
  GarmentImage g = fashion_mnist_image_from_image(img);
  EXPECT_FALSE(g.inverted);
  EXPECT_EQ(g.box_x, 1200);
  EXPECT_EQ(g.box_w, 900);
  EXPECT_NEAR(g.box_y, 300, 3);
  EXPECT_NEAR(g.box_h, 300, 3);
  // 900x300 -> 28 wide, about 10 high, centred vertically.
  EXPECT_GT(at(g.image, 0, 14), 0.8f);
  EXPECT_GT(at(g.image, 27, 14), 0.8f);
  EXPECT_EQ(at(g.image, 14, 5), 0.0f);
  EXPECT_EQ(at(g.image, 14, 22), 0.0f);
}

TEST(GarmentImage, BlankAndMalformedPicturesAreErrors) {
  EXPECT_EMBER_ERROR(fashion_mnist_image_from_image(gray_image(50, 40, 255)), "no object found", "blank");
  EXPECT_EMBER_ERROR(fashion_mnist_image_from_image(gray_image(50, 40, 0)), "blank");
  EXPECT_EMBER_ERROR(fashion_mnist_image_from_image(Image8{4, 4, 5, std::vector<uint8_t>(80)}), "1-4 channels");
  EXPECT_EMBER_ERROR(fashion_mnist_image_from_image(Image8{4, 4, 1, std::vector<uint8_t>(15)}), "15 bytes");
}
