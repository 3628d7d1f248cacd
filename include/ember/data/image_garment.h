// A product photo of one garment, shoe or bag -> the 28x28 image a Fashion-MNIST model expects,
// by the steps Zalando took to make the data set (Xiao et al. 2017: trim the background, resize
// the longest edge to 28, centre, negate, grayscale), so a picture of a dark shirt on a white
// page becomes a light shirt on black, as in the data set.
#pragma once
#include <cstdint>

#include "ember/data/image.h"
#include "ember/data/image_digit.h"  // InkPolarity
#include "ember/tensor.h"

namespace ember::data {

/// The Fashion-MNIST-style image and what preprocessing found.
struct GarmentImage {
  Tensor image;                  // float32 (1,28,28) in [0,1], light object on black
  bool inverted = false;         // the object was darker than its background (a photo on white)
  bool cropped = false;          // trimmed and scaled; false for a picture that was 28x28 already
  int64_t box_x = 0, box_y = 0;  // the object's bounding box in the input, in input pixels
  int64_t box_w = 0, box_h = 0;
};

/// Turns a picture of one object (any size, 1-4 channels, 8-bit) into Fashion-MNIST's format:
/// 1. grayscale (luma); transparent pixels are background: they take white when the opaque
///    pixels are dark on average, black otherwise;
/// 2. the background level is the median of the four corner patches (each a 14th of the
///    shorter side, at least 1 pixel); polarity kAuto inverts when it is light (> 0.5), as for
///    a product photo on white (kDarkOnLight always inverts, kLightOnDark never does);
/// 3. a picture that is already 28x28 is taken as the data set's own format (what `ember data
///    export-image` writes) and only inverted per step 2, so it round-trips exactly;
/// 4. otherwise the background level is subtracted and the rest stretched to [0,1], pixels
///    within 4 noise sigmas (at least 0.04) of the background become 0, and the rest is trimmed
///    to its bounding box, scaled (area-averaged when shrinking) so its longer side is 28
///    keeping the aspect ratio, and centred in 28x28 on black. Zalando also sharpened the
///    images; that step is not repeated.
/// Pictures larger than 1024 pixels on a side are block-averaged down first. Requires width,
/// height >= 1, channels 1..4 and pixels.size() == width*height*channels. A picture in which
/// nothing stands out from the background throws ember::Error saying it is blank.
GarmentImage fashion_mnist_image_from_image(const Image8& img, InkPolarity polarity = InkPolarity::kAuto);

}  // namespace ember::data
