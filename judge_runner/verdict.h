// The verdict: a pure function of what extraction, build and test did and of the
// judge's result.json. No files, no processes: verdict_test.cc tables every rule.
//
// Order of the rules (first match wins):
//   1. any stage whose sandbox failed, or a test stage whose judge script misbehaved
//      (non-zero exit without a valid result.json, or a valid exit without one, or an
//      invalid result.json)                                       -> judge error
//   2. extraction refused or limited                              -> bad_archive
//   3. build: any limit or non-zero exit                          -> compile_error
//   4. test: OOM kills in the cgroup                              -> memory_limit
//            CPU or wall limit                                    -> time_limit
//            output cap                                           -> output_limit
//   5. result.json: score >= max_score                            -> accepted
//                   a failure the judge named ("verdict")         -> that verdict
//                   0 < score                                     -> partial
//                   otherwise                                     -> wrong_answer
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "domain/submission_status.h"
#include "domain/test_result.h"

namespace oj::runner {

struct StageOutcome {
  bool sandbox_failed = false;
  int exit_code = 0;  // -1 when ended by a signal
  int term_signal = 0;
  bool cpu_limit_hit = false;
  bool wall_limit_hit = false;
  bool output_limit_hit = false;
  bool pids_limit_hit = false;
  uint64_t oom_kills = 0;
};

enum class ExtractStatus { kOk, kRefused, kLimit, kFailed };

// result.json: {"score": n, "max_score": n, "tests": [{"name", "passed", "message"}],
// "verdict": optional, one of wrong_answer, runtime_error, time_limit, memory_limit,
// output_limit}. Bounded: at most kMaxTests tests, names and messages cut.
struct JudgeReport {
  double score = 0;
  double max_score = 0;
  std::optional<Verdict> verdict;  // only one a judge may name (JudgeMayName)
  std::vector<TestResult> tests;
};

inline constexpr size_t kResultJsonMaxBytes = 1 << 20;
inline constexpr size_t kMaxTests = 1000;
inline constexpr size_t kTestNameMax = 200;
inline constexpr size_t kTestMessageMax = 4096;

// Parses and validates result.json text (score and max_score finite, 0 <= score <=
// max_score). kInvalidArgument names what is wrong.
Result<JudgeReport> ParseResultJson(const std::string& text);

struct VerdictInput {
  ExtractStatus extract = ExtractStatus::kOk;
  std::optional<StageOutcome> build;  // nullopt: no build stage or not reached
  std::optional<StageOutcome> test;   // nullopt: not reached
  std::optional<JudgeReport> report;  // nullopt: missing or invalid result.json
  double max_score = 100;             // judge.toml's
};

struct Decision {
  bool judge_error = false;  // internal: requeue, never the student's verdict
  std::string verdict;       // Name(Verdict) (docs/contract.md §4) when !judge_error
  double score = 0;
  double max_score = 0;
  std::string reason;  // one line for the log
};

Decision DecideVerdict(const VerdictInput& in);

}  // namespace oj::runner
