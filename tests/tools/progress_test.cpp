// The CLI's progress line as a pure function of its numbers and the terminal width: it never
// takes the last column (no wrap, so a redraw stays on one line) from 200 columns down to 1, keeps
// the whole-run ETA on an 80-column terminal and the label and percent below 60; colour codes
// do not count as width. ETAs and samples/s count only what this process did (a resumed run's
// restored steps took no time here). terminal_columns falls back to $COLUMNS, then 80.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <regex>

#include "progress.h"

using namespace ember::cli;

namespace {

std::string visible(const std::string& s) { return std::regex_replace(s, std::regex("\x1b\\[[0-9;]*m"), ""); }

ProgressLine typical() { return {"epoch 10/10", 600, 938, 5321.4, 0.123456, 12.3, 3725.0}; }

}  // namespace

TEST(ProgressLine, FitsEveryWidth) {
  for (bool color : {false, true})
    for (int cols = 1; cols <= 200; ++cols) {
      const std::string line = visible(format_progress_line(typical(), cols, true, color));
      EXPECT_LE(static_cast<int>(line.size()), std::max(0, cols - 1)) << cols << " columns: " << line;
    }
}

TEST(ProgressLine, EightyColumnsShowsBarRateLossAndBothEtas) {
  const std::string line = format_progress_line(typical(), 80, true, false);
  EXPECT_LE(line.size(), 79u);
  EXPECT_NE(line.find("epoch 10/10 ["), std::string::npos) << line;
  EXPECT_NE(line.find(" 63%"), std::string::npos) << line;
  EXPECT_NE(line.find("5321 samples/s"), std::string::npos) << line;
  EXPECT_NE(line.find("loss 0.1235"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 12.3s"), std::string::npos) << line;
  EXPECT_NE(line.find("run ETA 1h02m"), std::string::npos) << line;
}

TEST(ProgressLine, WideTerminalGetsEverythingAndAThirtyCellBar) {
  const std::string line = format_progress_line(typical(), 200, true, false);
  EXPECT_NE(line.find("[" + std::string(19, '#') + std::string(11, '.') + "]"), std::string::npos) << line;
  EXPECT_NE(line.find("600/938"), std::string::npos) << line;
}

TEST(ProgressLine, NarrowTerminalsKeepLabelAndPercent) {
  for (int cols : {59, 50, 40, 30, 20}) {
    const std::string line = format_progress_line(typical(), cols, true, false);
    EXPECT_EQ(line.rfind("epoch 10/10", 0), 0u) << cols << ": " << line;
    EXPECT_NE(line.find("63%"), std::string::npos) << cols << ": " << line;
  }
}

TEST(ProgressLine, PlainLineHasNoBarAndLeavesOutUnknowns) {
  ProgressLine p{"eval", 3, 4, 1000, NAN, 0.5, NAN};
  const std::string line = format_progress_line(p, 1 << 20, false, false);
  EXPECT_EQ(line, "eval  75% 3/4 1000 samples/s ETA 0.5s");
}

TEST(ProgressMath, ResumedRunCountsOnlyItsOwnSteps) {
  // Resumed at batch 600 of 938: one new batch of 64 samples in 0.01 s.
  EXPECT_DOUBLE_EQ(samples_per_second(64, 0.01), 6400);
  EXPECT_DOUBLE_EQ(eta_seconds(1, 0.01, 938 - 601), 3.37);
  EXPECT_TRUE(std::isnan(eta_seconds(0, 0.0, 10)));
  EXPECT_EQ(samples_per_second(10, 0), 0);
}

TEST(ProgressMath, TerminalColumnsFallBackToEnvironmentThen80) {
  std::FILE* f = std::tmpfile();  // not a terminal
  ASSERT_NE(f, nullptr);
  setenv("COLUMNS", "57", 1);
  EXPECT_EQ(terminal_columns(f), 57);
  setenv("COLUMNS", "junk", 1);
  EXPECT_EQ(terminal_columns(f), 80);
  unsetenv("COLUMNS");
  EXPECT_EQ(terminal_columns(f), 80);
  std::fclose(f);
}
