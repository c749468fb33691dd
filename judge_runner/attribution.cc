#include "judge_runner/attribution.h"

#include <algorithm>

namespace oj::runner {

const char* BlameName(Blame b) {
  switch (b) {
    case Blame::kSubmission:
      return "submission";
    case Blame::kModuleJudge:
      return "module judge";
    case Blame::kRunner:
      return "runner";
  }
  return "?";
}

Blame AttributeFailure(const SelfTestReport& report) {
  if (!report.sandbox_ok) return Blame::kRunner;
  if (report.canary_ok.has_value() && !*report.canary_ok) return Blame::kModuleJudge;
  return Blame::kSubmission;
}

FailureDecision DecideFailure(Blame blame, uint32_t attempts_before, uint32_t max_attempts) {
  switch (blame) {
    case Blame::kRunner:
      return {JobStep::kReturnUncharged, true};
    case Blame::kModuleJudge:
      return {JobStep::kEndJudgeError, false};
    case Blame::kSubmission:
      break;
  }
  uint32_t limit = std::max<uint32_t>(1, std::min(max_attempts, kJudgeFailureAttempts));
  return {attempts_before + 1 >= limit ? JobStep::kEndJudgeError : JobStep::kRequeue, false};
}

}  // namespace oj::runner
