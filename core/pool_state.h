// The FastCGI pool master's state file, <run_dir>/fcgi.state: who the master is and
// how many of its workers died abnormally. The master rewrites it (tmp + rename) when
// it starts and after each abnormal worker death; the watchdog reads it to alert on
// crashes that the master recovers from within a second (fcgi_worker_crashes,
// fcgi_master_restarted). Text, one key=value per line:
//
//   master_pid=1234
//   started_at=1718000000.123      (unix seconds, when this master started)
//   worker_crashes=3               (workers that exited non-zero or by a signal)
//   last_crash=worker 4567 (slot 2) died: signal Killed
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace oj {

struct PoolState {
  pid_t master_pid = 0;
  double started_at = 0;
  uint64_t worker_crashes = 0;
  std::string last_crash;  // one line; empty before the first crash
};

inline constexpr const char* kPoolStateFile = "fcgi.state";

std::string FormatPoolState(const PoolState& s);
// nullopt when a required key (master_pid, worker_crashes) is missing or malformed.
std::optional<PoolState> ParsePoolState(std::string_view text);

// Writes <run_dir>/fcgi.state atomically (no fsync: the file describes a running
// process and is rewritten by the next master).
Status WritePoolState(const std::string& run_dir, const PoolState& s);

}  // namespace oj
