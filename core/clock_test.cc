#include "core/clock.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

TEST(ClockTest, DbTimeRoundTrips) {
  auto t = ParseDbTime("2024-10-01 12:34:56.123456");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatDbTime(*t), "2024-10-01 12:34:56.123456");
  auto u = ParseDbTime("2024-10-01 12:34:56");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(FormatDbTime(*u), "2024-10-01 12:34:56.000000");
}

TEST(ClockTest, MalformedDbTimeIsRejected) {
  EXPECT_FALSE(ParseDbTime("").has_value());
  EXPECT_FALSE(ParseDbTime("yesterday at noon").has_value());
}

TEST(ClockTest, DisplayUsesTheConfiguredZone) {
  SetDisplayTimeZone("Asia/Shanghai");
  auto t = ParseDbTime("2024-10-01 12:00:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatDisplayTime(*t), "2024-10-01 20:00:00");
  EXPECT_EQ(FormatIso8601(*t), "2024-10-01T20:00:00+08:00");
  SetDisplayTimeZone("UTC");
  EXPECT_EQ(FormatDisplayTime(*t), "2024-10-01 12:00:00");
  EXPECT_EQ(FormatIso8601(*t), "2024-10-01T12:00:00+00:00");
  SetDisplayTimeZone("Asia/Shanghai");
  EXPECT_EQ(FormatIso8601Utc(*t), "2024-10-01T12:00:00Z");
  SetDisplayTimeZone("UTC");
}

}  // namespace
}  // namespace oj
