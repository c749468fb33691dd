#include "domain/submission_status.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace oj {
namespace {

TEST(SubmissionStatusTest, EveryStatusHasOneNameAndParsesBack) {
  std::set<std::string_view> names;
  for (const auto& [status, name] : kSubmissionStatusNames) {
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(Name(status), name);
    EXPECT_EQ(ParseSubmissionStatus(name), status);
  }
  EXPECT_EQ(names.size(), 6u);
  EXPECT_FALSE(ParseSubmissionStatus("Queued"));
  EXPECT_FALSE(ParseSubmissionStatus(""));
}

TEST(SubmissionStatusTest, EveryVerdictHasOneNameAndParsesBack) {
  std::set<std::string_view> names;
  for (const auto& [verdict, name] : kVerdictNames) {
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(Name(verdict), name);
    EXPECT_EQ(ParseVerdict(name), verdict);
  }
  EXPECT_EQ(names.size(), 9u);
  EXPECT_FALSE(ParseVerdict("judge_error"));  // a status, not a verdict
}

TEST(SubmissionStatusTest, AJudgeNamesOnlyWhatItCanTell) {
  std::set<std::string_view> named;
  for (const auto& [verdict, name] : kVerdictNames) {
    if (JudgeMayName(verdict)) named.insert(name);
  }
  EXPECT_EQ(named, (std::set<std::string_view>{"wrong_answer", "runtime_error", "time_limit",
                                               "memory_limit", "output_limit"}));
}

}  // namespace
}  // namespace oj
