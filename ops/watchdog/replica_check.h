// The read replica's checks (docs/scaling.md), run when [database] names a replica:
//
//   replica_running  the replica answers and both replication threads run
//                    (unreachable, refused, not a replica, IO or SQL thread stopped: over)
//   replica_lag      Seconds_Behind_Master over database.replica_max_lag_s, the same bound
//                    past which the app and ojctl read the primary instead
//
// While replication is not running its lag is unknown: replica_lag then neither fires
// nor resolves (replica_running says what is wrong).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/config.h"
#include "core/db.h"
#include "core/replica.h"
#include "ops/watchdog/checks.h"

namespace oj::watchdog {

// Pure, table-tested: the two samples for one observation of the replica.
std::vector<Sample> ReplicaSamples(const ReplicaState& s, uint32_t max_lag_s);

// Reads the replica each cycle through its own short-timeout connection.
class ReplicaCheck {
 public:
  // Null when cfg names no replica.
  static std::unique_ptr<ReplicaCheck> For(const DatabaseConfig& cfg);
  void Run(std::vector<Sample>* out);

 private:
  ReplicaCheck(const DatabaseConfig& replica, uint32_t max_lag_s);
  Database db_;
  uint32_t max_lag_s_;
};

}  // namespace oj::watchdog
