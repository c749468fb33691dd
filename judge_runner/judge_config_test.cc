#include "judge_runner/judge_config.h"

#include <gtest/gtest.h>

namespace oj::runner {
namespace {

TEST(RunnerJudgeConfigTest, FullExample) {
  auto c = ParseJudgeConfig(R"(
max_score = 50
[limits]
cpu_ms = 2000
memory_mb = 128
[build]
command = ["gcc", "-o", "x", "x.c"]
[build.limits]
wall_ms = 30000
[archive]
links = "refuse"
[test]
command = "/judge/test.sh"
[test.limits]
output_kb = 8
shm_mb = 4
program_tmp_mb = 8
program_files = 100
scratch_files = 200
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_score, 50);
  ASSERT_TRUE(c->build);
  EXPECT_EQ(c->build->command.size(), 4u);
  EXPECT_EQ(c->build->limits.cpu_time.count(), 2000);
  EXPECT_EQ(c->build->limits.wall_time.count(), 30000);
  EXPECT_EQ(c->build->limits.memory_bytes, 128ull << 20);
  EXPECT_EQ(c->test.command, (std::vector<std::string>{"/bin/sh", "-c", "/judge/test.sh"}));
  EXPECT_EQ(c->test.limits.output_bytes, 8u << 10);
  EXPECT_EQ(c->test.limits.wall_time, SandboxLimits{}.wall_time);
  EXPECT_EQ(c->test.limits.shm_bytes, 4ull << 20);
  EXPECT_EQ(c->test.limits.program_tmp_bytes, 8ull << 20);
  EXPECT_EQ(c->test.limits.program_files, 100u);
  EXPECT_EQ(c->test.limits.scratch_inodes, 200u);
  EXPECT_EQ(c->links, LinkPolicy::kRefuse);
}

TEST(RunnerJudgeConfigTest, Defaults) {
  auto c = ParseJudgeConfig("[test]\ncommand = 'true'\n");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->build);
  EXPECT_EQ(c->max_score, 100);
  EXPECT_EQ(c->test.limits.memory_bytes, SandboxLimits{}.memory_bytes);
  EXPECT_EQ(c->links, LinkPolicy::kInside);
}

TEST(RunnerJudgeConfigTest, Refused) {
  const char* bad[] = {
      "",                                       // no [test]
      "[test]\n",                               // no command
      "[test]\ncommand = []\n",                 // empty argv
      "[test]\ncommand = [1]\n",                // non-string
      "[test]\ncommand = 'x'\nextra = 1\n",     // unknown key in stage
      "surprise = 1\n[test]\ncommand = 'x'\n",  // unknown top-level key
      "max_score = -1\n[test]\ncommand = 'x'\n",
      "root = 'relative'\n[test]\ncommand = 'x'\n",
      "[limits]\ncpu_ms = 1\n[test]\ncommand = 'x'\n",  // below minimum
      "[limits]\nmemory_mb = 'big'\n[test]\ncommand = 'x'\n",
      "[limits]\nbogus = 1\n[test]\ncommand = 'x'\n",
      "[test\ncommand = 'x'\n",  // syntax
      "[archive]\nlinks = 'follow'\n[test]\ncommand = 'x'\n",
      "[archive]\nsymlinks = 'refuse'\n[test]\ncommand = 'x'\n",
      "archive = 1\n[test]\ncommand = 'x'\n",
      "[test]\ncommand = 'x'\n[test.limits]\nprogram_files = 1\n",  // below minimum
  };
  for (const char* b : bad) EXPECT_FALSE(ParseJudgeConfig(b).ok()) << b;
}

}  // namespace
}  // namespace oj::runner
