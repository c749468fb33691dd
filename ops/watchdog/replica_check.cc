#include "ops/watchdog/replica_check.h"

#include <algorithm>

namespace oj::watchdog {

std::vector<Sample> ReplicaSamples(const ReplicaState& s, uint32_t max_lag_s) {
  bool running = s.reachable && s.is_replica && s.io_running && s.sql_running;
  Sample run{"replica_running", running ? Observation::kOk : Observation::kOver,
             running ? "1" : "0", "1", ""};
  // ReplicaUnusableReason names the first thing wrong; with a huge bound it says nothing
  // about lag, so the detail is about replication itself.
  std::string why = ReplicaUnusableReason(s, UINT32_MAX);
  run.detail = running ? "replica replicating (IO and SQL threads running)"
                       : why + "; reads use the primary";
  std::vector<Sample> out{std::move(run)};
  if (!running || !s.seconds_behind) {
    out.push_back(Sample{"replica_lag", Observation::kUnknown, "", std::to_string(max_lag_s),
                         running ? "replica lag unknown (Seconds_Behind_Master is NULL)"
                                 : "replica lag unknown: " + why});
    return out;
  }
  Sample lag = OverMax("replica_lag", static_cast<double>(*s.seconds_behind), max_lag_s,
                       "replica Seconds_Behind_Master (s)");
  if (lag.obs == Observation::kOver) lag.detail += "; reads use the primary";
  out.push_back(std::move(lag));
  return out;
}

std::unique_ptr<ReplicaCheck> ReplicaCheck::For(const DatabaseConfig& cfg) {
  auto r = ReplicaDatabaseConfig(cfg);
  if (!r) return nullptr;
  // A dead replica must not stall the cycle: it is what this check reports.
  r->connect_timeout_s = std::min<uint32_t>(r->connect_timeout_s, 2);
  r->read_timeout_s = std::min<uint32_t>(r->read_timeout_s, 3);
  return std::unique_ptr<ReplicaCheck>(new ReplicaCheck(*r, cfg.replica_max_lag_s));
}

ReplicaCheck::ReplicaCheck(const DatabaseConfig& replica, uint32_t max_lag_s)
    : db_(replica), max_lag_s_(max_lag_s) {}

void ReplicaCheck::Run(std::vector<Sample>* out) {
  for (Sample& s : ReplicaSamples(ReadReplicaState(db_), max_lag_s_)) out->push_back(std::move(s));
}

}  // namespace oj::watchdog
