// A photo or drawing of one handwritten digit -> the 28x28 image an MNIST model expects, by the
// steps MNIST's own preprocessing took (LeCun et al.): ink isolated from its background, cropped
// to its bounding box, scaled to fit 20x20 keeping the aspect ratio, centred by mass in 28x28.
#pragma once
#include <cstdint>

#include "ember/data/image.h"
#include "ember/tensor.h"

namespace ember::data {

/// Which way round the ink is. kAuto decides from the image (see mnist_digit_from_image);
/// kDarkOnLight (pen on paper) is inverted to MNIST's white on black, kLightOnDark is not.
enum class InkPolarity { kAuto, kDarkOnLight, kLightOnDark };

struct DigitOptions {
  InkPolarity polarity = InkPolarity::kAuto;
};

/// The MNIST-style image and what preprocessing found.
struct DigitImage {
  Tensor image;                 // float32 (1,28,28) in [0,1], white ink on black
  bool inverted = false;        // the ink was darker than its background
  int64_t box_x = 0, box_y = 0; // the ink's bounding box in the input, in input pixels
  int64_t box_w = 0, box_h = 0;
  bool thickened = false;       // thin strokes were widened to MNIST's stroke width
};

/// Turns an image of one digit (any size, 1-4 channels, 8-bit) into MNIST's format:
/// 1. alpha is composited over a background: where less than half the image is opaque, the
///    opaque pixels are the drawing and the transparent background becomes the opposite of
///    their colour (dark ink on white, light ink on black); otherwise the transparent parts
///    take the median colour of the opaque ones (the paper's);
/// 2. the background level is fitted as a plane (a lighting gradient) robustly, starting from
///    the median of the image's border and leaving out the ink;
/// 3. polarity (kAuto): the ink is on whichever side of the background holds more mass beyond
///    6 noise sigmas (so dark ink on dim grey paper is inverted, chalk on a board is not);
/// 4. ink strength = distance from the background (for dark ink relative to the paper's
///    brightness), stretched so the stroke's typical level is 1 and paper texture below a
///    noise threshold is 0;
/// 5. specks of ink under 5% of the largest connected piece's mass are dropped, and the rest
///    is cropped to its bounding box; strokes thinner than MNIST's (about 2 px after scaling)
///    are widened;
/// 6. the crop is scaled (area-averaged when shrinking) to fit 20x20 keeping its aspect
///    ratio and placed in 28x28 with its centre of mass at pixel (14,14), as in MNIST.
/// Requires width, height >= 1, channels 1..4 and pixels.size() == width*height*channels.
/// An image with no ink (blank, or only noise) throws ember::Error saying so.
DigitImage mnist_digit_from_image(const Image8& img, const DigitOptions& options = {});

}  // namespace ember::data
