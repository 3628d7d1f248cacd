// data::class_names: the label order of each data set's class names.
#include "ember/data/class_names.h"
#include "harness/op_harness.h"

using namespace ember;

TEST(ClassNames, FashionMnistInLabelOrder) {
  auto n = data::class_names("fashion-mnist");
  ASSERT_EQ(n.size(), 10u);
  EXPECT_EQ(n[0], "T-shirt/top");
  EXPECT_EQ(n[1], "Trouser");
  EXPECT_EQ(n[5], "Sandal");
  EXPECT_EQ(n[7], "Sneaker");
  EXPECT_EQ(n[9], "Ankle boot");
}

TEST(ClassNames, DigitsAndCifar) {
  auto d = data::class_names("mnist");
  ASSERT_EQ(d.size(), 10u);
  for (size_t i = 0; i < d.size(); ++i) EXPECT_EQ(d[i], std::to_string(i));
  auto c = data::class_names("cifar10");
  ASSERT_EQ(c.size(), 10u);
  EXPECT_EQ(c[0], "airplane");
  EXPECT_EQ(c[9], "truck");
  EXPECT_EMBER_ERROR(data::class_names("imagenet"), "unknown dataset 'imagenet'", "fashion-mnist");
}
