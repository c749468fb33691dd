// What /metrics and the watchdog read from the database: the queue, the judge's
// outcomes and the runners. Two queries per snapshot: one index scan of
// submissions (grouped by status and verdict) and the small runners table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"
#include "domain/runner_row.h"

namespace oj {

// Upper bounds of the judge duration histogram (wall time of finished jobs), seconds.
inline constexpr double kJudgeDurationBounds[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
inline constexpr int kJudgeDurationBuckets =
    sizeof(kJudgeDurationBounds) / sizeof(kJudgeDurationBounds[0]);

struct VerdictStats {
  uint64_t count = 0;
  double wall_seconds_sum = 0;
  uint64_t bucket[kJudgeDurationBuckets] = {};  // count with wall time <= bound (cumulative)
};

struct QueueSnapshot {
  std::map<std::string, uint64_t> by_status;       // submissions per status
  std::optional<double> oldest_queued_age_s;       // none when nothing is queued
  std::map<std::string, VerdictStats> by_verdict;  // finished (status done) only
};

// Submissions by status and verdict, the oldest queued age (by the database's clock);
// the watchdog's canary submissions are left out (they are not students' load).
Result<QueueSnapshot> ReadQueueSnapshot(Database& db);

// At most max_rows runners (ordered by id).
Result<std::vector<RunnerRow>> ReadRunners(Database& db, uint32_t max_rows = 256);

}  // namespace oj
