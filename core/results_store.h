// Database access for the results pages (GET /oj/<course>/<module>/<token>[.json]).
// Three prepared statements in one Database::Run: the module header with the token's
// newest submissions for the module and each queued one's place in the queue; the
// recent judge durations the wait estimate needs; the listed submissions' per-test
// results. None needs an internal temporary table (docs/results.md). Another token's
// rows are never selected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/db.h"
#include "domain/test_result.h"

namespace oj {

// Bounds on what one page carries, so a page's size and cost do not grow with a
// student's history or a judge's verbosity.
struct ResultsLimits {
  uint32_t max_submissions = 30;      // newest first; older ones are not listed
  uint32_t max_log_bytes = 32 << 10;  // judge log kept per submission (cut at a UTF-8 boundary)
  uint32_t max_message_bytes = 4096;  // per-test message (characters, cut by the server)
  uint32_t recent_jobs = 20;          // finished jobs the wait estimate looks at
};

struct ResultsSubmission {
  std::string id;
  SysTime received_at;
  uint64_t size_bytes = 0;
  std::string sha256;
  std::string status;  // queued, running, done, superseded, cancelled, judge_error
  bool late = false;
  // Accepted as on time after the deadline because this token's upload was refused
  // then, during an outage (late accept, contract §3.1).
  std::optional<SysTime> on_time_refused_at;
  std::optional<SysTime> started_at;
  std::optional<SysTime> finished_at;
  std::optional<std::string> verdict;
  std::optional<double> score;
  std::optional<double> max_score;
  std::optional<std::string> log;  // as stored: may hold invalid UTF-8, never trusted
  bool log_truncated = false;      // by the runner, or here at max_log_bytes
  // Queued only: queued submissions (any token) received before this one.
  std::optional<uint64_t> queue_ahead;
  std::vector<TestResult> tests;  // by seq
};

struct ResultsPageData {
  std::string course_code;
  std::string course_title;
  std::string module_code;
  std::string module_title;
  SysTime deadline;
  std::optional<SysTime> late_until;
  bool closed = false;
  std::optional<SysTime> closed_at;
  uint64_t running_jobs = 0;    // submissions being judged now, all tokens
  uint64_t active_runners = 0;  // runners with a heartbeat in the last minute, not disabled
  std::vector<int64_t> recent_durations_ms;    // started -> finished of recent done jobs
  std::vector<ResultsSubmission> submissions;  // newest first
};

// The page's data, or NotFound when the token is unknown or disabled, the course
// unknown, the module unknown, or the token not enrolled in the course (one answer
// for all, so a caller cannot tell which). kUnavailable when the database is down.
Result<ResultsPageData> LoadResults(Database& db, const std::string& token,
                                    const std::string& course, const std::string& module,
                                    const ResultsLimits& limits = {});

// One submission's wait, as its results page would show it at the same moment: for
// the upload's answer (X-OJ-Queue-Position, X-OJ-ETA-Seconds) without loading the
// whole page. queue_ahead is set only while the submission is queued; the recent
// durations are loaded only then.
struct QueueEstimate {
  std::optional<uint64_t> queue_ahead;
  uint64_t running_jobs = 0;
  uint64_t active_runners = 0;
  std::vector<int64_t> recent_durations_ms;
};
Result<QueueEstimate> LoadQueueEstimate(Database& db, const std::string& submission_id,
                                        uint32_t module_id,
                                        uint32_t recent_jobs = ResultsLimits{}.recent_jobs);
// The same read on the caller's connection and transaction (the upload path computes
// its answer before it commits). REQUIRES: inside Database::Run or Transaction.
Status ReadQueueEstimate(Database& db, const std::string& submission_id, uint32_t module_id,
                         uint32_t recent_jobs, QueueEstimate* q);

// Cuts s to at most max_bytes without splitting a UTF-8 sequence that was whole.
// Returns true if anything was cut.
bool TruncateUtf8(std::string& s, size_t max_bytes);

}  // namespace oj
