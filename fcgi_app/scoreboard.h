// The scoreboard: a shared-memory page the pool master and its workers share (as
// php-fpm's scoreboard). Workers record when their current request began and which
// submission they are storing; the master reads it to kill stuck workers and to
// clean up after a worker that died mid-store. It also holds the request counters
// that /metrics reports, summed over all workers without locks.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

namespace oj {

inline constexpr int kMaxWorkers = 256;
inline constexpr int kRouteCount =
    6;  // upload, results_page, results_json, healthz, metrics, other
inline constexpr int kStatusCount = 11;  // see StatusIndex
inline constexpr int kDurationBuckets = 12;

// Upper bounds of the request duration histogram, seconds.
inline constexpr double kDurationBounds[kDurationBuckets] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

struct WorkerSlot {
  std::atomic<pid_t> pid{0};
  std::atomic<int64_t> busy_since_ms{0};  // steady clock ms; 0 = idle
  std::atomic<uint64_t> requests{0};
  std::atomic<bool> storing{false};  // pending_id holds a submission being stored
  char pending_id[17] = {0};
};

struct RouteCounters {
  std::atomic<uint64_t> by_status[kStatusCount];
  std::atomic<uint64_t> duration_bucket[kDurationBuckets + 1];  // last = +Inf
  std::atomic<uint64_t> duration_sum_us;
};

struct Scoreboard {
  WorkerSlot slots[kMaxWorkers];
  RouteCounters routes[kRouteCount];
  std::atomic<uint64_t> upload_bytes{0};
  std::atomic<uint64_t> uploads_stored{0};
  std::atomic<uint64_t> worker_restarts{0};
  std::atomic<uint64_t> workers_killed_stuck{0};
  std::atomic<uint64_t> worker_crashes{0};  // exited non-zero or by a signal
};

const char* RouteName(int route_index);
int StatusIndex(int status);  // 200,304,400,403,404,405,413,422,429,500,503 -> 0..10
int StatusAt(int index);

// Maps a zero-filled shared anonymous page; survives fork. Never freed (lives as
// long as the master).
Scoreboard* CreateScoreboard();

// Records one finished request.
void RecordRequest(Scoreboard* sb, int route_index, int status, double seconds);

int64_t SteadyMillis();

}  // namespace oj
