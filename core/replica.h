// The optional read replica (docs/scaling.md): results pages, the JSON endpoint and ojctl
// reports read from it; everything that writes uses the primary. Reads fall back to
// the primary when the replica is unreachable, its replication threads are stopped,
// or it lags more than database.replica_max_lag_s (Seconds_Behind_Master).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/db.h"

namespace oj {

// The replica's connection settings (user, password, name as the primary's), or
// nullopt when no replica is configured.
std::optional<DatabaseConfig> ReplicaDatabaseConfig(const DatabaseConfig& primary);

struct ReplicaState {
  bool reachable = false;
  bool is_replica = false;  // SHOW SLAVE STATUS returned a row
  bool io_running = false;
  bool sql_running = false;
  std::optional<uint64_t> seconds_behind;  // NULL while replication is broken
  std::string error;  // why not reachable (connection refused, missing SLAVE MONITOR, ...)
};

// Pure: "" when reads may use the replica, else why not (for logs and the watchdog).
std::string ReplicaUnusableReason(const ReplicaState& s, uint32_t max_lag_s);

// Reads SHOW SLAVE STATUS on db (the account needs SLAVE MONITOR on MariaDB, REPLICATION
// CLIENT on MySQL). Unreachable or refused: reachable = false and error, never a Status.
ReplicaState ReadReplicaState(Database& db);

// Pure: how long until the router looks at the replica again. A reachable replica (used or
// lagging) is re-checked every `base`; an unreachable one backs off, doubling up to 8 x
// base, because a replica host that drops packets costs the request that checks it a full
// connect timeout.
std::chrono::milliseconds NextReplicaCheck(std::chrono::milliseconds previous,
                                           std::chrono::milliseconds base, bool reachable);

// Chooses the database for reads, re-checking the replica at most every check_every.
class ReadRouter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // REQUIRES: primary outlives the router.
  ReadRouter(
      Database* primary, const DatabaseConfig& cfg,
      std::chrono::milliseconds check_every = std::chrono::milliseconds(1000),
      Clock clock = [] { return std::chrono::steady_clock::now(); });
  // The replica when usable, else the primary.
  Database& ForRead();
  bool using_replica() const { return use_replica_; }
  const std::string& last_reason() const { return reason_; }

 private:
  Database* primary_;
  std::unique_ptr<Database> replica_;
  uint32_t max_lag_s_;
  std::chrono::milliseconds check_every_;
  std::chrono::milliseconds delay_{0};  // the current re-check delay (backs off when down)
  Clock clock_;
  std::chrono::steady_clock::time_point next_check_{};
  bool use_replica_ = false;
  std::string reason_ = "not checked yet";
};

}  // namespace oj
