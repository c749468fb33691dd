#include "ops/ojctl/time_arg.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

TEST(TimeArgTest, RelativeAndAbsolute) {
  SetDisplayTimeZone("UTC");
  SysTime now = *ParseDbTime("2024-10-01 12:00:00");
  EXPECT_EQ(FormatDbTime(*ParseTimeArg("now", now)), "2024-10-01 12:00:00.000000");
  EXPECT_EQ(FormatDbTime(*ParseTimeArg("now+2h", now)), "2024-10-01 14:00:00.000000");
  EXPECT_EQ(FormatDbTime(*ParseTimeArg("now-1d", now)), "2024-09-30 12:00:00.000000");
  EXPECT_EQ(FormatDbTime(*ParseTimeArg("2024-12-31 23:59", now)), "2024-12-31 23:59:00.000000");
  SetDisplayTimeZone("Asia/Shanghai");
  EXPECT_EQ(FormatDbTime(*ParseTimeArg("2024-12-31 23:59:59", now)), "2024-12-31 15:59:59.000000");
  EXPECT_EQ(FormatDbTime(*ParseTimeArg("2024-12-31 23:59:59Z", now)), "2024-12-31 23:59:59.000000");
}

TEST(TimeArgTest, ExplicitZones) {
  SetDisplayTimeZone("UTC");
  SysTime now{};
  const std::pair<const char*, const char*> cases[] = {
      {"2024-12-31 23:59+08:00", "2024-12-31 15:59:00.000000"},
      {"2024-12-31T23:59:30+08:00", "2024-12-31 15:59:30.000000"},
      {"2024-12-31 23:59-0500", "2025-01-01 04:59:00.000000"},
      {"2024-12-31 23:59+05", "2024-12-31 18:59:00.000000"},
      {"2024-12-31T23:59Z", "2024-12-31 23:59:00.000000"},
  };
  for (const auto& [in, want] : cases) {
    auto t = ParseTimeArg(in, now);
    ASSERT_TRUE(t.has_value()) << in;
    EXPECT_EQ(FormatDbTime(*t), want) << in;
  }
}

TEST(TimeArgTest, GarbageIsRejected) {
  SysTime now{};
  for (const char* bad : {"", "tomorrow", "now+", "now+5y", "now+-5d", "2024-13-01 00:00",
                          "2024-01-01", "now+1.5h", "2024-12-31 23:59+8:00:00",
                          "2024-12-31 23:59+25:00", "2024-12-31 23:59 extra", "2024-12-31x23:59"}) {
    EXPECT_FALSE(ParseTimeArg(bad, now).has_value()) << bad;
  }
}

}  // namespace
}  // namespace oj
