#include "judge_runner/docker_executor.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace oj::runner {
namespace {

bool HasPair(const std::vector<std::string>& a, const std::string& k, const std::string& v) {
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == k && a[i + 1] == v) return true;
  }
  return false;
}

TEST(RunnerDockerTest, CommandLineCarriesEveryLimit) {
  SandboxSpec s;
  s.argv = {"/bin/sh", "/judge/test.sh"};
  s.cwd = "/submission";
  s.limits.memory_bytes = 256ull << 20;
  s.limits.pids = 32;
  s.limits.cpu_time = std::chrono::milliseconds(2500);
  s.limits.scratch_bytes = 8ull << 20;
  s.binds = {{"/j", "/judge", false}, {"/b/sub", "/submission", true}};
  s.env = {"OJ_RESULT=/out/result.json"};
  DockerOptions o;
  o.container_name = "oj-run-1";
  auto a = DockerRunArgs(s, o);
  EXPECT_EQ(a[0], "docker");
  EXPECT_TRUE(HasPair(a, "--network", "none"));
  EXPECT_NE(std::find(a.begin(), a.end(), "--read-only"), a.end());
  EXPECT_TRUE(HasPair(a, "--memory", std::to_string(256ull << 20)));
  EXPECT_TRUE(HasPair(a, "--memory-swap", std::to_string(256ull << 20)));  // no swap
  EXPECT_TRUE(HasPair(a, "--pids-limit", "32"));
  EXPECT_TRUE(HasPair(a, "--ulimit", "cpu=4:5"));
  EXPECT_TRUE(HasPair(a, "--ulimit", "core=0"));
  EXPECT_TRUE(HasPair(a, "--user", "65534:65534"));
  EXPECT_TRUE(HasPair(a, "--tmpfs", "/tmp:rw,nosuid,nodev,size=8388608"));
  EXPECT_TRUE(HasPair(a, "-v", "/j:/judge:ro"));
  EXPECT_TRUE(HasPair(a, "-v", "/b/sub:/submission"));
  EXPECT_TRUE(HasPair(a, "-w", "/submission"));
  EXPECT_TRUE(HasPair(a, "-e", "OJ_RESULT=/out/result.json"));
  EXPECT_TRUE(HasPair(a, "--name", "oj-run-1"));
  // Image, then the program's argv last.
  ASSERT_GE(a.size(), 3u);
  EXPECT_EQ(a[a.size() - 3], "debian:12-slim");
  EXPECT_EQ(a[a.size() - 1], "/judge/test.sh");
  EXPECT_EQ(DockerKillArgs(o),
            (std::vector<std::string>{"docker", "kill", "--signal", "KILL", "oj-run-1"}));
}

}  // namespace
}  // namespace oj::runner
