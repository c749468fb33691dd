// The end-to-end canary's decisions (contract §6), pure and table-tested
// (canary_test.cc). The watchdog uploads a module's known-good archive through nginx
// with the course's canary token every interval; these functions say when the next
// one is due and what the canary's recent submissions say about grading as a whole.
//
// Theory: canary submissions are ordered by when they were sent. The newest one that
// reached a conclusion decides: judged in time with the expected verdict (and score)
// is right; anything else (another verdict, judge_error, cancelled, judged after the
// target, refused by /upload) is wrong. A canary still queued or running past the
// target is late whatever came before it. Nothing concluded yet and nothing late:
// no opinion (the alert keeps its state).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace oj {

// What a module's canary must get: a verdict (contract §4 list) and optionally a score.
struct CanaryExpectation {
  std::string verdict;
  std::optional<double> score;
};

// "accepted", "accepted/100", "partial/60" (score: a non-negative number).
Result<CanaryExpectation> ParseCanaryExpectation(std::string_view text);
std::string FormatCanaryExpectation(const CanaryExpectation& e);

// One canary submission as the database has it.
struct CanaryRun {
  std::string id;
  SysTime received_at;
  std::string status;  // queued running done superseded cancelled judge_error
  std::optional<std::string> verdict;
  std::optional<double> score;
  std::optional<SysTime> finished_at;
};

// An upload the server did not store (non-200, or 200 without the SUCC line, or no
// answer); the watchdog remembers the latest one.
struct CanaryRefusal {
  SysTime at;
  std::string reason;  // e.g. "503 [FAIL ✗] Server busy, retry in 10 s"
};

enum class CanaryOutcome {
  kNoResult,  // nothing sent or concluded yet
  kPending,   // sent, not judged yet, within the target; nothing concluded before
  kRight,
  kWrong,  // another verdict/score, judge_error, cancelled, superseded
  kLate,   // not judged within the target (still waiting, or judged too late)
  kRefused,
};
std::string_view CanaryOutcomeName(CanaryOutcome o);  // no_result pending right wrong late refused
// True for the outcomes that mean grading is broken (wrong, late, refused).
bool CanaryOutcomeBad(CanaryOutcome o);

struct CanaryJudgement {
  CanaryOutcome outcome = CanaryOutcome::kNoResult;
  std::string submission_id;  // the run the judgement is about ("" for a refusal)
  std::string value;          // verdict[/score], "queued 612 s", "refused"
  std::string detail;         // one line for the alert
};

// runs: in any order (the newest few since the definition last changed).
CanaryJudgement JudgeCanary(const std::vector<CanaryRun>& runs,
                            const std::optional<CanaryRefusal>& refusal, SysTime now,
                            std::chrono::seconds judge_target, const CanaryExpectation& expect);

// True when the next canary should be sent: never sent (last_sent unset) or the
// interval has passed since the last attempt, and fewer than max_in_flight canaries
// are still queued or running (a stopped runner does not pile canaries up).
bool CanaryDue(std::optional<SysTime> last_sent, SysTime now, std::chrono::seconds interval,
               size_t in_flight, size_t max_in_flight);

// The submission ID in contract §3.1's 200 line "[SUCC ✓] Received <ID> at <time>[ (late)]";
// nullopt for any other body.
std::optional<std::string> ParseReceivedId(std::string_view body);

}  // namespace oj
