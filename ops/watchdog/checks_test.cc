#include "ops/watchdog/checks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace oj::watchdog {
namespace {

TEST(EvaluateTest, OverMaxAndUnderMin) {
  struct {
    double value;
    double limit;
    bool max;  // OverMax when true, UnderMin otherwise
    Observation expected;
  } cases[] = {
      {20.0, 10.0, true, Observation::kOver}, {10.0, 10.0, true, Observation::kOk},
      {0.0, 0.0, true, Observation::kOk},     {5.0, 10.0, false, Observation::kOver},
      {10.0, 10.0, false, Observation::kOk},  {99.5, 10.0, false, Observation::kOk},
  };
  for (const auto& c : cases) {
    Sample s = c.max ? OverMax("x", c.value, c.limit, "v") : UnderMin("x", c.value, c.limit, "v");
    EXPECT_EQ(s.obs, c.expected) << c.value << (c.max ? " max " : " min ") << c.limit;
  }
  EXPECT_EQ(OverMax("x", std::nullopt, 1, "v").obs, Observation::kUnknown);
  EXPECT_EQ(UnderMin("x", std::nullopt, 1, "v").obs, Observation::kUnknown);
  Sample s = OverMax("psi_memory_some", 12.5, 10, "memory some avg10 %");
  EXPECT_EQ(s.value, "12.50");
  EXPECT_EQ(s.threshold, "10");
  EXPECT_EQ(s.detail, "memory some avg10 % 12.50 > 10");
}

TEST(EvaluateTest, Rates) {
  EXPECT_EQ(RateSample("r", 10, 100, 20, 5.0, "5xx").obs, Observation::kOver);
  EXPECT_EQ(RateSample("r", 5, 100, 20, 5.0, "5xx").obs, Observation::kOk);
  EXPECT_EQ(RateSample("r", 10, 10, 20, 5.0, "5xx").obs, Observation::kOk);  // too few
  EXPECT_EQ(RateSample("r", 0, 0, 1, 5.0, "5xx").obs, Observation::kOk);
  EXPECT_EQ(RateSample("r", 1, 4, 1, 20.0, "429").value, "25");
}

TEST(PathsFromTest, HealthUrlAndDirs) {
  Config c;
  c.server.listen = "0.0.0.0";
  c.server.port = 9000;
  c.paths.var_dir = "/srv/oj/var";
  c.paths.log_dir = "/srv/oj/var/log";
  StackPaths p = PathsFrom(c);
  EXPECT_EQ(p.health_url, "http://127.0.0.1:9000/healthz");
  EXPECT_EQ(p.access_log, "/srv/oj/var/log/nginx-access.log");
  EXPECT_EQ(p.database_dir, "/srv/oj/var/mysql");
  EXPECT_EQ(p.nginx_temp_dir, "/srv/oj/var/nginx");
  c.server.listen = "::1";
  EXPECT_EQ(PathsFrom(c).health_url, "http://[::1]:9000/healthz");
}

class LogTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("oj_logtail_" + std::to_string(getpid()) + ".log");
    Append("a [t] \"GET / HTTP/1.1\" 500 1 rt=0\n");  // history: not counted
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Append(const std::string& s) {
    std::ofstream f(path_, std::ios::app);
    f << s;
  }
  std::filesystem::path path_;
};

TEST_F(LogTailTest, CountsOnlyNewCompleteLinesAndFollowsRotation) {
  LogTail tail(path_.string(), 4096);
  HttpCounts c;
  ASSERT_TRUE(tail.ReadNew(&c));
  EXPECT_EQ(c.total, 0u);
  Append("a [t] \"GET / HTTP/1.1\" 503 1 rt=0\na [t] \"GET / HTTP/1.1\" 2");
  c = {};
  ASSERT_TRUE(tail.ReadNew(&c));
  EXPECT_EQ(c.total, 1u);
  EXPECT_EQ(c.server_errors, 1u);
  Append("00 1 rt=0\n");
  c = {};
  ASSERT_TRUE(tail.ReadNew(&c));
  EXPECT_EQ(c.total, 1u);
  EXPECT_EQ(c.server_errors, 0u);
  // Rotation: a new file (new inode) is read from its start.
  std::filesystem::remove(path_);
  Append("a [t] \"GET / HTTP/1.1\" 429 1 rt=0\n");
  c = {};
  ASSERT_TRUE(tail.ReadNew(&c));
  EXPECT_EQ(c.total, 1u);
  EXPECT_EQ(c.rate_limited, 1u);
}

TEST_F(LogTailTest, BoundedReadSkipsAFlood) {
  LogTail tail(path_.string(), 256);
  HttpCounts c;
  ASSERT_TRUE(tail.ReadNew(&c));
  std::string line = "a [t] \"GET / HTTP/1.1\" 200 1 rt=0\n";
  std::string flood;
  for (int i = 0; i < 1000; ++i) flood += line;
  Append(flood);
  c = {};
  ASSERT_TRUE(tail.ReadNew(&c));
  EXPECT_GT(c.total, 0u);
  EXPECT_LE(c.total, 256 / line.size() + 1);
}

TEST(ChildrenOfTest, FindsAChild) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    pause();
    _exit(0);
  }
  bool found = false;
  for (int i = 0; i < 100 && !found; ++i) {
    found = !ChildrenOf(getpid()).empty();
    if (!found) usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace oj::watchdog
