// What course staff and operators do to submissions and modules (ojctl sub, queue,
// rejudge, cancel, scores, module set). Every query is prepared; results that can
// grow with the number of submissions are bounded (SubmissionFilter::limit) or
// streamed to a callback (ExportScores).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/db.h"
#include "domain/runner_row.h"
#include "domain/test_result.h"

namespace oj {

// ---- submissions ----

struct SubmissionFilter {
  std::string course;  // empty: any
  std::string module;  // empty: any (REQUIRES course when set)
  std::string token;   // empty: any
  std::string
      status;  // empty: any; else one of queued running done superseded cancelled judge_error
  std::optional<SysTime> since;  // received_at >= since
  std::optional<SysTime> until;  // received_at < until
  uint32_t limit = 50;           // newest first; at most kMaxListLimit
};
inline constexpr uint32_t kMaxListLimit = 10000;

struct SubmissionSummary {
  std::string id;
  std::string course;
  std::string module;
  std::string student_no;
  std::string token;
  SysTime received_at;
  uint64_t size_bytes = 0;
  bool late = false;
  std::string status;
  std::string verdict;  // empty unless done
  std::optional<double> score;
  std::optional<double> max_score;
};

struct SubmissionDetail {
  SubmissionSummary summary;
  std::string name;  // the student's
  std::string sha256;
  std::string storage_key;
  uint32_t attempts = 0;
  std::string runner_id;
  std::optional<SysTime> lease_until;
  std::optional<SysTime> started_at;
  std::optional<SysTime> finished_at;
  std::string log;
  bool log_truncated = false;
  std::optional<uint64_t> cpu_ms;
  std::optional<uint64_t> wall_ms;
  std::optional<uint64_t> peak_memory_kb;
  std::string client_ip;
  std::vector<TestResult> tests;
};

bool IsSubmissionStatus(const std::string& s);
Result<std::vector<SubmissionSummary>> ListSubmissions(Database& db, const SubmissionFilter& f);
// NotFound when there is no such submission.
Result<SubmissionDetail> ShowSubmission(Database& db, const std::string& id);

// ---- queue ----

struct RunningJob {
  std::string id;
  std::string course;
  std::string module;
  std::string runner_id;
  std::optional<SysTime> started_at;
  std::optional<SysTime> lease_until;
};

struct QueueOverview {
  std::vector<std::pair<std::string, uint64_t>> depth;  // by status, every status listed
  std::optional<SysTime> oldest_queued;
  SysTime now;                      // the database's clock
  std::vector<RunningJob> running;  // at most 100
  std::vector<RunnerRow> runners;
};

// depth and oldest_queued leave the canary's submissions out; running lists every job.
Result<QueueOverview> ReadQueueOverview(Database& db);

// ---- rejudge and cancel ----

struct RejudgeSelection {
  std::string id;      // one submission (any status but running/queued), or
  std::string course;  // with module: that module's done and judge_error submissions
  std::string module;
  bool judge_errors = false;  // every judge_error submission (within course/module when set)
};

// Returns the IDs sent back to the queue: status queued, attempts 0, runner, lease,
// times, verdict, score, log and test results cleared, in one transaction.
// A single ID that is queued or running is a FailedPrecondition naming its status.
// A selection by module or --judge-errors leaves the watchdog's canaries out (a
// single ID is rejudged whatever it is).
Result<std::vector<std::string>> Rejudge(Database& db, const RejudgeSelection& sel);

// Marks a queued submission cancelled. FailedPrecondition (naming the status) when
// it is not queued; NotFound when it does not exist.
Status CancelSubmission(Database& db, const std::string& id);

// ---- scores ----

struct ScoreRow {
  std::string student_no;
  std::string name;
  uint32_t submissions = 0;  // every upload except cancelled ones
  std::string latest_id;     // newest submission that is not cancelled/superseded
  std::string latest_status;
  std::optional<double> latest_score;
  bool latest_late = false;
  std::optional<double> best_score;  // over done submissions
  std::optional<double> max_score;
  bool best_late = false;
};

// Calls row() once per student of the course (by student number), including those
// who never submitted, except the course's canary student. NotFound for an unknown
// course or module.
Status ExportScores(Database& db, const std::string& course, const std::string& module,
                    const std::function<void(const ScoreRow&)>& row);

// ---- modules ----

// Fields left unset are kept.
struct ModulePatch {
  std::optional<std::string> title;
  std::optional<SysTime> opens_at;
  std::optional<SysTime> deadline;
  std::optional<std::optional<SysTime>> late_until;  // set to nullopt: no late window
  std::optional<uint64_t> size_limit_bytes;
  std::optional<std::string> judge_dir;
  std::optional<bool> supersede;
  std::optional<bool> closed;  // true: closed now (closed_at = now); false: reopened
};

// NotFound for an unknown course or module; InvalidArgument when the result would
// have its deadline before its opening or its late window before its deadline.
Status PatchModule(Database& db, const std::string& course, const std::string& module,
                   const ModulePatch& p);

}  // namespace oj
