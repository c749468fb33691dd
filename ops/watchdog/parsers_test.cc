#include "ops/watchdog/parsers.h"

#include <gtest/gtest.h>

#include <string>

namespace oj::watchdog {
namespace {

TEST(ParsePressureTest, ParsesSomeAndFull) {
  auto p = ParsePressure(
      "some avg10=12.34 avg60=1.00 avg300=0.10 total=123456\n"
      "full avg10=5.50 avg60=0.00 avg300=0.00 total=0\n");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(p->some_avg10, 12.34);
  ASSERT_TRUE(p->full_avg10);
  EXPECT_DOUBLE_EQ(*p->full_avg10, 5.5);
}

TEST(ParsePressureTest, CpuWithoutFullLine) {
  auto p = ParsePressure("some avg10=98.54 avg60=69.90 avg300=26.78 total=122072246\n");
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(p->some_avg10, 98.54);
  EXPECT_FALSE(p->full_avg10);
}

TEST(ParsePressureTest, RefusesMalformed) {
  const char* bad[] = {
      "",
      "\n",
      "full avg10=1.00 avg60=0 avg300=0 total=0\n",  // no some line
      "some avg60=1.00 total=3\n",                   // no avg10
      "some avg10=abc avg60=0 avg300=0 total=0\n",
      "some avg10=-1 avg60=0 avg300=0 total=0\n",
      "some avg10= avg60=0 avg300=0 total=0\n",
      "garbage\nsome avg10=1.00 avg60=0 avg300=0 total=0\n",
  };
  for (const char* t : bad) EXPECT_FALSE(ParsePressure(t)) << t;
}

TEST(ParseMemAvailableTest, Parses) {
  auto v = ParseMemAvailable(
      "MemTotal:       24683520 kB\nMemFree:        22980000 kB\n"
      "MemAvailable:   23539712 kB\nBuffers:           1234 kB\n");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 23539712ull * 1024);
  EXPECT_EQ(*ParseMemAvailable("MemAvailable: 0 kB\n"), 0u);
}

TEST(ParseMemAvailableTest, RefusesMalformed) {
  const char* bad[] = {"",
                       "MemTotal: 1 kB\n",
                       "MemAvailable:   x kB\n",
                       "MemAvailable: 12\n",
                       "XMemAvailable: 12 kB\n",
                       "MemAvailable: 99999999999999999999 kB\n"};
  for (const char* t : bad) EXPECT_FALSE(ParseMemAvailable(t)) << t;
}

TEST(ParseAccessLogStatusTest, Cases) {
  struct {
    const char* line;
    int status;  // 0: refused
  } cases[] = {
      {"127.0.0.1 [2024-10-01T12:00:00+08:00] \"GET /healthz HTTP/1.1\" 200 3 rt=0.001 "
       "urt=0.001 cache=-",
       200},
      {"10.0.0.1 [2024-10-01T12:00:00+08:00] \"POST /upload HTTP/1.1\" 503 40 rt=0.2 urt=- "
       "cache=-",
       503},
      {"10.0.0.1 [t] \"GET /oj/a/b/c HTTP/1.1\" 429 55 rt=0.000 urt=- cache=-", 429},
      {"10.0.0.1 [t] \"GET /x\\x22 200 1 HTTP/1.1\" 404 5 rt=0.000 urt=- cache=-", 404},
      {"10.0.0.1 [t] \"-\" 400 0 rt=0.000 urt=- cache=-", 400},
      {"10.0.0.1 [t] \"GET / HTTP/1.1\" 200", 200},
      {"", 0},
      {"no quotes at all 200 5", 0},
      {"1.2.3.4 [t] \"GET / HTTP/1.1\" 20 5 rt=0", 0},
      {"1.2.3.4 [t] \"GET / HTTP/1.1\" 2000 5 rt=0", 0},
      {"1.2.3.4 [t] \"GET / HTTP/1.1\" 999 5 rt=0", 0},
      {"1.2.3.4 [t] \"GET / HTTP/1.1\" abc 5 rt=0", 0},
  };
  for (const auto& c : cases) {
    auto s = ParseAccessLogStatus(c.line);
    if (c.status == 0) {
      EXPECT_FALSE(s) << c.line;
    } else {
      ASSERT_TRUE(s) << c.line;
      EXPECT_EQ(*s, c.status) << c.line;
    }
  }
}

TEST(CountAccessLogTest, CountsCompleteLinesOnly) {
  std::string log =
      "a [t] \"GET / HTTP/1.1\" 200 1 rt=0 urt=- cache=-\n"
      "a [t] \"GET / HTTP/1.1\" 502 1 rt=0 urt=- cache=-\n"
      "garbage line\n"
      "a [t] \"GET / HTTP/1.1\" 429 1 rt=0 urt=- cache=-\n"
      "a [t] \"GET / HTTP/1.1\" 503 1 rt=0";  // partial: read next time
  HttpCounts c;
  size_t used = CountAccessLog(log, &c);
  EXPECT_EQ(used, log.rfind('\n') + 1);
  EXPECT_EQ(c.total, 3u);
  EXPECT_EQ(c.server_errors, 1u);
  EXPECT_EQ(c.rate_limited, 1u);
}

TEST(CountAccessLogTest, CountsUploadsAndTheir5xx) {
  std::string log =
      "a [t] \"POST /upload HTTP/1.1\" 200 1 rt=0 urt=- cache=-\n"
      "a [t] \"POST /upload HTTP/1.1\" 503 1 rt=0 urt=- cache=-\n"
      "a [t] \"POST /upload?x=1 HTTP/1.1\" 502 1 rt=0 urt=- cache=-\n"
      "a [t] \"POST /uploads HTTP/1.1\" 500 1 rt=0 urt=- cache=-\n"
      "a [t] \"GET /upload HTTP/1.1\" 405 1 rt=0 urt=- cache=-\n"
      "a [t] \"GET /healthz HTTP/1.1\" 503 1 rt=0 urt=- cache=-\n";
  HttpCounts c;
  CountAccessLog(log, &c);
  EXPECT_EQ(c.total, 6u);
  EXPECT_EQ(c.uploads, 3u);
  EXPECT_EQ(c.upload_server_errors, 2u);
  EXPECT_EQ(c.server_errors, 4u);
}

TEST(ParseProcStatTest, Cases) {
  auto s = ParseProcStat("1234 (oj-fcgi) S 1200 1234 1234 0 -1 4194560 ...");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->ppid, 1200);
  auto t = ParseProcStat("77 (a) b) (c) T 5 77 77");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, 'T');
  EXPECT_EQ(t->ppid, 5);
  EXPECT_FALSE(ParseProcStat(""));
  EXPECT_FALSE(ParseProcStat("12 (x)"));
  EXPECT_FALSE(ParseProcStat("12 (x) S abc"));
}

}  // namespace
}  // namespace oj::watchdog
