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
  EXPECT_EQ(FormatDbTime(*ParseTimeArg("2024-12-31 23:59:59", now)),
            "2024-12-31 15:59:59.000000");
  EXPECT_EQ(FormatDbTime(*ParseTimeArg("2024-12-31 23:59:59Z", now)),
            "2024-12-31 23:59:59.000000");
}

TEST(TimeArgTest, GarbageIsRejected) {
  SysTime now{};
  for (const char* bad : {"", "tomorrow", "now+", "now+5y", "now+-5d", "2024-13-01 00:00",
                          "2024-01-01", "now+1.5h"}) {
    EXPECT_FALSE(ParseTimeArg(bad, now).has_value()) << bad;
  }
}

}  // namespace
}  // namespace oj
