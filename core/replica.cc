#include "core/replica.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>

namespace oj {

std::optional<DatabaseConfig> ReplicaDatabaseConfig(const DatabaseConfig& primary) {
  if (primary.replica_host.empty() && primary.replica_socket.empty()) return std::nullopt;
  DatabaseConfig r = primary;
  r.host = primary.replica_host;
  r.port = primary.replica_port;
  r.socket = primary.replica_socket;
  r.replica_host.clear();
  r.replica_socket.clear();
  return r;
}

std::string ReplicaUnusableReason(const ReplicaState& s, uint32_t max_lag_s) {
  if (!s.reachable) return "replica unreachable" + (s.error.empty() ? "" : ": " + s.error);
  if (!s.is_replica) return "replica is not replicating (no SHOW SLAVE STATUS row)";
  if (!s.io_running) return "replica IO thread stopped";
  if (!s.sql_running) return "replica SQL thread stopped";
  if (!s.seconds_behind) return "replica lag unknown";
  if (*s.seconds_behind > max_lag_s) {
    return "replica lags " + std::to_string(*s.seconds_behind) + " s (max " +
           std::to_string(max_lag_s) + " s)";
  }
  return "";
}

ReplicaState ReadReplicaState(Database& db) {
  ReplicaState st;
  Status s = db.Run("replica status", [&]() -> Status {
    std::unique_ptr<sql::Statement> q(db.connection().createStatement());
    std::unique_ptr<sql::ResultSet> rs(q->executeQuery("SHOW SLAVE STATUS"));
    st.reachable = true;
    if (!rs->next()) return Status::Ok();
    st.is_replica = true;
    st.io_running = rs->getString("Slave_IO_Running") == "Yes";
    st.sql_running = rs->getString("Slave_SQL_Running") == "Yes";
    if (!rs->isNull("Seconds_Behind_Master")) {
      st.seconds_behind = rs->getUInt64("Seconds_Behind_Master");
    }
    return Status::Ok();
  });
  if (!s.ok()) {
    st.reachable = false;
    st.error = s.message();
  }
  return st;
}

std::chrono::milliseconds NextReplicaCheck(std::chrono::milliseconds previous,
                                           std::chrono::milliseconds base, bool reachable) {
  if (reachable || previous < base) return base;
  return std::min(previous * 2, base * 8);
}

ReadRouter::ReadRouter(Database* primary, const DatabaseConfig& cfg,
                       std::chrono::milliseconds check_every, Clock clock)
    : primary_(primary),
      max_lag_s_(cfg.replica_max_lag_s),
      check_every_(check_every),
      clock_(std::move(clock)) {
  if (auto rc = ReplicaDatabaseConfig(cfg)) {
    rc->connect_timeout_s = 1;  // a dead replica must not stall a page for long
    replica_ = std::make_unique<Database>(*rc);
  } else {
    reason_ = "no replica configured";
  }
}

Database& ReadRouter::ForRead() {
  if (!replica_) return *primary_;
  auto now = clock_();
  if (now >= next_check_) {
    ReplicaState state = ReadReplicaState(*replica_);
    delay_ = NextReplicaCheck(delay_, check_every_, state.reachable);
    next_check_ = now + delay_;
    reason_ = ReplicaUnusableReason(state, max_lag_s_);
    use_replica_ = reason_.empty();
  }
  return use_replica_ ? *replica_ : *primary_;
}

}  // namespace oj
