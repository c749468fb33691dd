#include "judge_runner/archive.h"

#include <gtest/gtest.h>

namespace oj::runner {
namespace {

TEST(RunnerArchiveTest, EntryNames) {
  const char* safe[] = {"a", "a/b", "./a", "a/b/", "./", ".", "a/./b", "dir//file", "a..b", "..a"};
  const char* unsafe[] = {"",     "/etc/passwd", "..",        "../x",     "a/../../x",
                          "a/..", "a/b/../c",    "bad\nname", "tab\tname"};
  for (const char* n : safe) EXPECT_TRUE(IsSafeEntryName(n)) << n;
  for (const char* n : unsafe) EXPECT_FALSE(IsSafeEntryName(n)) << n;
}

TEST(RunnerArchiveTest, LinkTargets) {
  struct {
    const char* entry;
    const char* target;
    bool safe;
  } cases[] = {
      {"link", "file", true},         {"a/link", "../file", true}, {"a/b/link", "../../file", true},
      {"a/link", "./b/c", true},      {"link", "../file", false},  {"a/link", "../../file", false},
      {"link", "/etc/passwd", false}, {"link", "", false},         {"a/link", "b/../../..", false},
      {"a/link", "..", true},         {"link", ".", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsSafeLinkTarget(c.entry, c.target), c.safe) << c.entry << " -> " << c.target;
  }
}

}  // namespace
}  // namespace oj::runner
