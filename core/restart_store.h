// Database reads for the watchdog's restart checks: the database server's uptime
// (database_restarted) and each runner process's start (runner_restarted, from the
// runners row every runner refreshes with its heartbeat).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/db.h"

namespace oj {

// SHOW GLOBAL STATUS 'Uptime': seconds since the database server started.
Result<uint64_t> ReadDatabaseUptime(Database& db);

struct RunnerStart {
  std::string id;
  std::string started_at;  // DATETIME(6) text, UTC; empty for a runner that never said
  uint32_t pid = 0;
};
// At most max_rows runners that are not disabled (ordered by id).
Result<std::vector<RunnerStart>> ReadRunnerStarts(Database& db, uint32_t max_rows = 256);

}  // namespace oj
