// Who is to blame for a job that failed to be judged (contract §5.6), pure and
// table-tested (attribution_test.cc).
//
// Theory. A job's judge failure (no or invalid result.json, a judge script that crashed,
// a judge killed by a limit, a sandbox that did not start) could be the submission's
// doing (it filled a space, crashed the judge with an odd exit code), the module's judge
// (a bug in staff code) or the runner's (a broken sandbox, a full disk). Before anyone is
// blamed the runner runs a self-test in the same sandbox: first the built-in one (a
// trivial program through both sandbox levels, no module involved), then the module's
// canary archive when the module has one. The self-test decides:
//   built-in self-test fails        -> the runner: the job goes back to the queue
//                                      uncharged and the runner disables itself
//   the module's canary fails too    -> the module's judge: the job ends judge_error
//                                      at once (a retry cannot help); the runner goes on
//   both pass (or no canary)         -> the submission: requeued while it has attempts
//                                      left (kJudgeFailureAttempts), then judge_error
// A failure that only one submission causes thus ends that submission, never the queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace oj::runner {

// A submission's own judge failures before it ends judge_error: the first is retried
// once (a transient failure gets a second chance), the second is final.
inline constexpr uint32_t kJudgeFailureAttempts = 2;

struct SelfTestReport {
  bool sandbox_ok = false;        // the built-in self-test
  std::optional<bool> canary_ok;  // nullopt: the module has no canary (or not run)
  std::string detail;             // why a part failed, for the log and the reason
};

enum class Blame { kSubmission, kModuleJudge, kRunner };
const char* BlameName(Blame b);  // "submission" "module judge" "runner"

Blame AttributeFailure(const SelfTestReport& report);

enum class JobStep {
  kRequeue,          // back to the queue, attempts + 1
  kEndJudgeError,    // judge_error with the reason
  kReturnUncharged,  // back to the queue, attempts unchanged (the runner was at fault)
};

struct FailureDecision {
  JobStep job = JobStep::kRequeue;
  bool disable_runner = false;
};

// attempts_before: the job's failed attempts before this one (its `attempts` column);
// max_attempts: the configuration's runner.max_attempts (an operator may allow fewer
// than kJudgeFailureAttempts, never more for judge failures).
FailureDecision DecideFailure(Blame blame, uint32_t attempts_before, uint32_t max_attempts);

}  // namespace oj::runner
