// The CLI's number formats (tools/ember/units.cpp): thousands separators, and SI suffixes whose
// rounding never prints a four-digit mantissa or "100.00".
#include <gtest/gtest.h>

#include "units.h"

using ember::cli::si;
using ember::cli::with_commas;

TEST(Units, WithCommas) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(11689512), "11,689,512");
  EXPECT_EQ(with_commas(-1234567), "-1,234,567");
  EXPECT_EQ(with_commas(INT64_MIN), "-9,223,372,036,854,775,808");
}

TEST(Units, Si) {
  EXPECT_EQ(si(0), "0");
  EXPECT_EQ(si(512), "512");
  EXPECT_EQ(si(1000), "1.00K");
  EXPECT_EQ(si(25088), "25.09K");
  EXPECT_EQ(si(669706), "669.7K");
  EXPECT_EQ(si(99996), "100.0K");   // not "100.00K"
  EXPECT_EQ(si(999960), "1.00M");   // not "1000.0K"
  EXPECT_EQ(si(11689512), "11.69M");
  EXPECT_EQ(si(3.639e9), "3.64G");
  EXPECT_EQ(si(-2.5e6), "-2.50M");
}
