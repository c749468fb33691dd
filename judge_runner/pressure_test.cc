#include "judge_runner/pressure.h"

#include <gtest/gtest.h>

namespace oj::runner {
namespace {

TEST(RunnerPressureTest, ParsePsi) {
  EXPECT_EQ(ParsePsiSomeAvg10("some avg10=12.50 avg60=1.00 avg300=0.00 total=5\n"
                              "full avg10=3.00 avg60=0.00 avg300=0.00 total=1\n"),
            12.5);
  EXPECT_EQ(ParsePsiSomeAvg10("full avg10=3.00\nsome avg10=0.00 avg60=0\n"), 0.0);
  EXPECT_FALSE(ParsePsiSomeAvg10(""));
  EXPECT_FALSE(ParsePsiSomeAvg10("some avg60=1.0\n"));
  EXPECT_FALSE(ParsePsiSomeAvg10("some avg10=x\n"));
}

TEST(RunnerPressureTest, ParseMeminfo) {
  EXPECT_EQ(ParseMemAvailable("MemTotal: 100 kB\nMemAvailable:    2048 kB\n"), 2048u * 1024);
  EXPECT_FALSE(ParseMemAvailable("MemTotal: 100 kB\n"));
  EXPECT_FALSE(ParseMemAvailable("MemAvailable: 5 MB\n"));
}

TEST(RunnerPressureTest, HoldReasons) {
  RunnerConfig c;
  c.psi_memory_max = 40;
  c.psi_io_max = 60;
  c.mem_available_min_bytes = 100;
  c.disk_free_min_bytes = 100;
  struct {
    PressureReadings r;
    const char* contains;  // "" = proceed
  } cases[] = {
      {{10.0, 10.0, 1000, 1000}, ""},
      {{std::nullopt, std::nullopt, std::nullopt, std::nullopt}, ""},
      {{40.0, 60.0, 100, 100}, ""},
      {{40.01, 0.0, 1000, 1000}, "memory pressure 40.01% > 40.00%"},
      {{0.0, 99.0, 1000, 1000}, "io pressure"},
      {{0.0, 0.0, 99, 1000}, "MemAvailable"},
      {{0.0, 0.0, 1000, 99}, "free disk"},
  };
  for (const auto& t : cases) {
    std::string reason = HoldReason(t.r, c);
    if (*t.contains == '\0') {
      EXPECT_EQ(reason, "");
    } else {
      EXPECT_NE(reason.find(t.contains), std::string::npos) << reason;
    }
  }
}

}  // namespace
}  // namespace oj::runner
