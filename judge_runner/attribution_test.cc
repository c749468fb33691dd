#include "judge_runner/attribution.h"

#include <gtest/gtest.h>

namespace oj::runner {
namespace {

TEST(AttributeFailureTest, TheSelfTestDecidesWhoIsToBlame) {
  struct Case {
    bool sandbox_ok;
    std::optional<bool> canary_ok;
    Blame want;
  } cases[] = {
      {false, std::nullopt, Blame::kRunner},
      {false, true, Blame::kRunner},  // the canary cannot pass on a broken sandbox anyway
      {false, false, Blame::kRunner},
      {true, std::nullopt, Blame::kSubmission},
      {true, true, Blame::kSubmission},
      {true, false, Blame::kModuleJudge},
  };
  for (const Case& c : cases) {
    SelfTestReport r;
    r.sandbox_ok = c.sandbox_ok;
    r.canary_ok = c.canary_ok;
    EXPECT_EQ(AttributeFailure(r), c.want)
        << "sandbox_ok=" << c.sandbox_ok << " canary=" << (c.canary_ok ? *c.canary_ok : -1);
  }
}

TEST(DecideFailureTest, TableOfBlameAndAttempts) {
  struct Case {
    Blame blame;
    uint32_t attempts_before, max_attempts;
    JobStep job;
    bool disable;
  } cases[] = {
      // the submission: one retry, then judge_error
      {Blame::kSubmission, 0, 3, JobStep::kRequeue, false},
      {Blame::kSubmission, 1, 3, JobStep::kEndJudgeError, false},
      {Blame::kSubmission, 2, 3, JobStep::kEndJudgeError, false},  // a lease expired before
      {Blame::kSubmission, 0, 1, JobStep::kEndJudgeError, false},  // no retries configured
      {Blame::kSubmission, 0, 0, JobStep::kEndJudgeError, false},
      {Blame::kSubmission, 0, 10, JobStep::kRequeue, false},  // never more than one retry
      {Blame::kSubmission, 1, 10, JobStep::kEndJudgeError, false},
      // the module's judge: retrying cannot help, the runner goes on
      {Blame::kModuleJudge, 0, 3, JobStep::kEndJudgeError, false},
      // the runner: the job is not charged, the runner stops claiming
      {Blame::kRunner, 0, 3, JobStep::kReturnUncharged, true},
      {Blame::kRunner, 2, 3, JobStep::kReturnUncharged, true},
  };
  for (const Case& c : cases) {
    FailureDecision d = DecideFailure(c.blame, c.attempts_before, c.max_attempts);
    EXPECT_EQ(d.job, c.job) << BlameName(c.blame) << " " << c.attempts_before << "/"
                            << c.max_attempts;
    EXPECT_EQ(d.disable_runner, c.disable) << BlameName(c.blame);
  }
}

}  // namespace
}  // namespace oj::runner
