// Image file tests: a PNG written with save_png_gray reads back exactly, a larger non-square
// image is resized by area averaging, and missing or garbage files are errors naming the
// file (with stb's reason).
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
