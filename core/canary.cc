#include "core/canary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/ids.h"
#include "domain/submission_status.h"

namespace oj {
namespace {

std::string Score(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

long long Seconds(SysTime from, SysTime to) {
  return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

bool Pending(const CanaryRun& r) {
  return r.status == Name(SubmissionStatus::kQueued) ||
         r.status == Name(SubmissionStatus::kRunning);
}

// The verdict[/score] of a concluded run, or its status when it has no verdict.
std::string Got(const CanaryRun& r) {
  if (r.status != Name(SubmissionStatus::kDone) || !r.verdict) return r.status;
  return *r.verdict + (r.score ? "/" + Score(*r.score) : "");
}

CanaryJudgement Conclude(const CanaryRun& r, std::chrono::seconds target,
                         const CanaryExpectation& e) {
  CanaryJudgement j;
  j.submission_id = r.id;
  j.value = Got(r);
  std::string want = FormatCanaryExpectation(e);
  bool verdict_ok =
      r.status == Name(SubmissionStatus::kDone) && r.verdict && *r.verdict == e.verdict;
  bool score_ok = !e.score || (r.score && std::fabs(*r.score - *e.score) < 1e-6);
  if (!verdict_ok || !score_ok) {
    j.outcome = CanaryOutcome::kWrong;
    j.detail = "canary " + r.id + " got " + j.value + ", expected " + want;
    return j;
  }
  SysTime finished = r.finished_at.value_or(r.received_at);
  long long took = Seconds(r.received_at, finished);
  if (finished - r.received_at > target) {
    j.outcome = CanaryOutcome::kLate;
    j.detail = "canary " + r.id + " was judged " + want + " only after " + std::to_string(took) +
               " s (target " + std::to_string(target.count()) + " s)";
    return j;
  }
  j.outcome = CanaryOutcome::kRight;
  j.detail = "canary " + r.id + " judged " + j.value + " in " + std::to_string(took) + " s";
  return j;
}

}  // namespace

Result<CanaryExpectation> ParseCanaryExpectation(std::string_view text) {
  CanaryExpectation e;
  std::string_view verdict = text;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    verdict = text.substr(0, slash);
    std::string num(text.substr(slash + 1));
    char* end = nullptr;
    double v = num.empty() ? -1 : std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size() || !(v >= 0) || !std::isfinite(v)) {
      return Status::InvalidArgument("expected score '" + num +
                                     "' is not a non-negative number (e.g. accepted/100)");
    }
    e.score = v;
  }
  if (ParseVerdict(verdict)) e.verdict = std::string(verdict);
  if (e.verdict.empty()) {
    std::string all;
    for (const auto& [v, name] : kVerdictNames) all += " " + std::string(name);
    return Status::InvalidArgument("expected verdict '" + std::string(verdict) + "' is not one of" +
                                   all);
  }
  return e;
}

std::string FormatCanaryExpectation(const CanaryExpectation& e) {
  return e.verdict + (e.score ? "/" + Score(*e.score) : "");
}

std::string_view CanaryOutcomeName(CanaryOutcome o) {
  switch (o) {
    case CanaryOutcome::kNoResult:
      return "no_result";
    case CanaryOutcome::kPending:
      return "pending";
    case CanaryOutcome::kRight:
      return "right";
    case CanaryOutcome::kWrong:
      return "wrong";
    case CanaryOutcome::kLate:
      return "late";
    case CanaryOutcome::kRefused:
      return "refused";
  }
  return "?";
}

bool CanaryOutcomeBad(CanaryOutcome o) {
  return o == CanaryOutcome::kWrong || o == CanaryOutcome::kLate || o == CanaryOutcome::kRefused;
}

CanaryJudgement JudgeCanary(const std::vector<CanaryRun>& runs,
                            const std::optional<CanaryRefusal>& refusal, SysTime now,
                            std::chrono::seconds target, const CanaryExpectation& expect) {
  std::vector<const CanaryRun*> by_age;
  for (const CanaryRun& r : runs) by_age.push_back(&r);
  std::sort(by_age.begin(), by_age.end(), [](const CanaryRun* a, const CanaryRun* b) {
    return a->received_at > b->received_at;  // newest first
  });
  // A canary waiting past the target is the loudest fact: grading is stuck now.
  for (auto it = by_age.rbegin(); it != by_age.rend(); ++it) {
    const CanaryRun& r = **it;
    if (Pending(r) && now - r.received_at > target) {
      CanaryJudgement j;
      j.outcome = CanaryOutcome::kLate;
      j.submission_id = r.id;
      j.value = r.status + " " + std::to_string(Seconds(r.received_at, now)) + " s";
      j.detail = "canary " + r.id + " is still " + r.status + " after " +
                 std::to_string(Seconds(r.received_at, now)) + " s (target " +
                 std::to_string(target.count()) + " s)";
      return j;
    }
  }
  const CanaryRun* newest_done = nullptr;
  bool any_pending = false;
  for (const CanaryRun* r : by_age) {
    if (Pending(*r)) {
      any_pending = true;
    } else if (!newest_done) {
      newest_done = r;
    }
  }
  if (refusal && (!newest_done || refusal->at > newest_done->received_at)) {
    CanaryJudgement j;
    j.outcome = CanaryOutcome::kRefused;
    j.value = "refused";
    j.detail = "canary upload refused: " + refusal->reason;
    return j;
  }
  if (newest_done) return Conclude(*newest_done, target, expect);
  CanaryJudgement j;
  if (any_pending) {
    j.outcome = CanaryOutcome::kPending;
    j.submission_id = by_age.front()->id;
    j.value = by_age.front()->status;
    j.detail = "canary " + j.submission_id + " " + j.value + ", not judged yet";
  } else {
    j.detail = "no canary sent yet";
  }
  return j;
}

bool CanaryDue(std::optional<SysTime> last_sent, SysTime now, std::chrono::seconds interval,
               size_t in_flight, size_t max_in_flight) {
  if (in_flight >= max_in_flight) return false;
  return !last_sent || now - *last_sent >= interval;
}

std::optional<std::string> ParseReceivedId(std::string_view body) {
  static constexpr std::string_view kPrefix = "[SUCC \xE2\x9C\x93] Received ";
  if (!body.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = body.substr(kPrefix.size());
  size_t space = rest.find(' ');
  if (space == std::string_view::npos || !rest.substr(space).starts_with(" at ")) {
    return std::nullopt;
  }
  std::string_view id = rest.substr(0, space);
  if (!IsValidSubmissionId(id)) return std::nullopt;
  return std::string(id);
}

}  // namespace oj
