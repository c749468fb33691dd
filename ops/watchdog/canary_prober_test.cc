#include "ops/watchdog/canary_prober.h"

#include <gtest/gtest.h>

namespace oj::watchdog {
namespace {

TEST(CanaryProberTest, OutcomeToObservation) {
  struct Case {
    CanaryOutcome outcome;
    Observation want;
  };
  const Case cases[] = {
      {CanaryOutcome::kNoResult, Observation::kUnknown},  // keeps the alert's state
      {CanaryOutcome::kPending, Observation::kUnknown},
      {CanaryOutcome::kRight, Observation::kOk},  // resolves
      {CanaryOutcome::kWrong, Observation::kOver},
      {CanaryOutcome::kLate, Observation::kOver},
      {CanaryOutcome::kRefused, Observation::kOver},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CanaryObservation(c.outcome), c.want) << CanaryOutcomeName(c.outcome);
  }
}

TEST(CanaryProberTest, CheckName) {
  EXPECT_EQ(CanaryCheckName("ICS2024", "PA1"), "canary:ICS2024/PA1");
}

}  // namespace
}  // namespace oj::watchdog
