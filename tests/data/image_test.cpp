// Image file tests: a PNG written with save_png_gray reads back exactly, a larger non-square
// image is resized by area averaging, load_image keeps the file's channels, missing or garbage
// files are errors naming the file (with stb's reason), and an image whose header claims more
// than the pixel limit is refused before it is decoded.
#include <filesystem>

#include "data/test_dir.h"
#include "harness/op_harness.h"

using namespace ember;
using namespace ember::data;
using namespace ember::test;

TEST(Image, PngRoundTrip) {
  TestDir dir;
  std::vector<float> v(28 * 28);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7) % 256) / 255.0f;
  Tensor img = from_vector(v, {1, 28, 28});
  save_png_gray(dir / "digit.png", img);
  Tensor back = load_image_gray(dir / "digit.png");
  EXPECT_EQ(back.shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(back.dtype(), kFloat32);
  EXPECT_ALLCLOSE(back, img, 0, 1e-6);
  save_png_gray(dir / "flat.png", img.squeeze(0).to(kFloat64));  // (H,W), other dtype
  EXPECT_ALLCLOSE(load_image_gray(dir / "flat.png"), img, 0, 1e-6);
}

TEST(Image, ResizesNonSquareLargerImage) {
  TestDir dir;
  // 112 x 56 (H x W): left half white, right half black, so each 28x28 output pixel
  // averages a 4x2 block that is wholly one colour except at the seam.
  Tensor img = zeros({112, 56});
  img.slice(1, 0, 28).fill_(1.0);
  save_png_gray(dir / "wide.png", img);
  Tensor small = load_image_gray(dir / "wide.png", 28);
  EXPECT_EQ(small.shape(), (Shape{1, 28, 28}));
  auto v = small.to_vector<float>();
  EXPECT_NEAR(v[3 * 28 + 2], 1.0f, 0.02f);
  EXPECT_NEAR(v[3 * 28 + 25], 0.0f, 0.02f);
  double total = 0;
  for (float x : v) {
    EXPECT_GE(x, 0.0f);
    EXPECT_LE(x, 1.0f);
    total += x;
  }
  EXPECT_NEAR(total / v.size(), 0.5, 0.02);  // area averaging keeps the mean brightness
  EXPECT_EQ(load_image_gray(dir / "wide.png", 7).shape(), (Shape{1, 7, 7}));
}

TEST(Image, BadFilesNameTheFile) {
  TestDir dir;
  EXPECT_EMBER_ERROR(load_image_gray(dir / "absent.png"), "absent.png", "not found");
  write_bytes(dir / "garbage.png", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  EXPECT_EMBER_ERROR(load_image_gray(dir / "garbage.png"), "garbage.png", "cannot decode", "stb:");
  write_bytes(dir / "empty.png", {});
  EXPECT_EMBER_ERROR(load_image_gray(dir / "empty.png"), "empty.png");
  // A PNG cut in half.
  save_png_gray(dir / "ok.png", rand({1, 20, 20}));
  auto b = read_bytes(dir / "ok.png");
  write_bytes(dir / "cut.png", std::vector<uint8_t>(b.begin(), b.begin() + static_cast<long>(b.size() / 2)));
  EXPECT_EMBER_ERROR(load_image_gray(dir / "cut.png"), "cut.png", "stb:");
  EXPECT_EMBER_ERROR(load_image_gray(dir / "ok.png", 0), "size");
  EXPECT_EMBER_ERROR(save_png_gray(dir / "x.png", zeros({2, 3, 3})), "save_png_gray", "[2,3,3]");
  EXPECT_EMBER_ERROR(save_png_gray(dir.path() + "/no/dir/x.png", zeros({3, 3})), "no/dir/x.png");
}

TEST(Image, LoadImageKeepsChannels) {
  TestDir dir;
  std::vector<float> v(12 * 10);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 256) / 255.0f;
  save_png_gray(dir / "g.png", from_vector(v, {10, 12}));
  Image8 img = load_image(dir / "g.png");
  EXPECT_EQ(img.width, 12);
  EXPECT_EQ(img.height, 10);
  EXPECT_EQ(img.channels, 1);
  ASSERT_EQ(img.pixels.size(), 120u);
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(img.pixels[i], i % 256);
  const std::filesystem::path pictures = std::filesystem::path(EMBER_TEST_SOURCE_DIR) / "data" / "images";
  Image8 rgba = load_image((pictures / "3_transparent_dark.png").string());
  EXPECT_EQ(rgba.channels, 4);
  EXPECT_EQ(rgba.pixels.size(), static_cast<size_t>(rgba.width * rgba.height * 4));
  EXPECT_EQ(load_image((pictures / "7_dim_photo.jpg").string()).channels, 3);
  EXPECT_EMBER_ERROR(load_image(dir / "absent.png"), "absent.png", "not found");
}

// A PNG signature and IHDR chunk claiming width x height RGB pixels, with no image data.
std::vector<uint8_t> png_header(uint32_t width, uint32_t height) {
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (uint32_t v : {width, height})
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
  for (uint8_t x : {8, 2, 0, 0, 0, 0, 0, 0, 0}) b.push_back(x);  // 8-bit RGB, CRC (unchecked)
  return b;
}

TEST(Image, RefusesImagesOverThePixelLimitBeforeDecoding) {
  TestDir dir;
  // 10000 x 6000 = 60 megapixels (180 MB of RGB): under stb's own limit, over ember's 50.
  write_bytes(dir / "bomb.png", png_header(10000, 6000));
  EXPECT_EMBER_ERROR(load_image(dir / "bomb.png"), "bomb.png", "10000x6000", "60.0 megapixels",
                     "limit of 50.0 megapixels");
  EXPECT_EMBER_ERROR(load_image_gray(dir / "bomb.png"), "bomb.png", "megapixels");
  // Under the limit the same header is decoded, and fails for want of image data.
  write_bytes(dir / "small.png", png_header(100, 60));
  EXPECT_EMBER_ERROR(load_image(dir / "small.png"), "small.png", "cannot decode", "stb:");
  // The limit is a parameter.
  save_png_gray(dir / "20x20.png", rand({20, 20}));
  EXPECT_EMBER_ERROR(load_image(dir / "20x20.png", 399), "20x20.png", "limit");
  EXPECT_EQ(load_image(dir / "20x20.png", 400).pixels.size(), 400u);
}
