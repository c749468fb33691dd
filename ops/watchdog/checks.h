// The watchdog's checks (docs/contract.md §6). Each cycle yields one Sample per check; the
// alert state machine (alert_state.h) turns samples into messages. Check names are
// stable: they key the state, appear in alerts, and match docs/operations.md.
//
//   health_probe      GET /healthz through nginx answered 200 within probe_timeout_ms
//   probe_latency     ... and within probe_latency_max_ms
//   psi_{memory,io}_{some,full}, psi_cpu_some   avg10 over psi_*_max (files in psi_dir)
//   mem_available     MemAvailable under mem_available_min_bytes
//   disk_storage, disk_database, disk_nginx_temp  free % under disk_free_min_percent
//   queue_depth, oldest_queued        queued submissions / age of the oldest
//   runner_heartbeat  a runner (not disabled) silent longer than heartbeat_max_age_s
//   runner_disabled   a runner disabled itself after repeated judge errors
//   fcgi_processes    pool master alive with at least one worker running (not stopped)
//   nginx_process     nginx master alive
//   http_5xx_rate, http_429_rate      share of nginx answers in one cycle (access log)
//   replica_running, replica_lag      only with a read replica (replica_check.h)
//   canary:<course>/<module>          the end-to-end canary (canary_prober.h)
// and the event checks of event_checks.h (fcgi_worker_crashes, fcgi_master_restarted,
// runner_restarted, database_restarted, oom_kills) with nginx_slow_clients.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/db.h"
#include "ops/watchdog/alert_state.h"
#include "ops/watchdog/parsers.h"

namespace oj::watchdog {

struct Sample {
  std::string check;
  Observation obs = Observation::kUnknown;
  std::string value;      // measured, as text ("" when unknown)
  std::string threshold;  // as text
  std::string detail;     // one line for the alert
  bool event = false;     // an event check (event_checks.h): kOver = happened since last cycle
};

// Pure evaluations, table-tested.
Sample OverMax(std::string check, std::optional<double> value, double max, std::string what);
Sample UnderMin(std::string check, std::optional<double> value, double min, std::string what);
Sample RateSample(std::string check, uint64_t hits, uint64_t total, uint64_t min_requests,
                  double max_percent, std::string what);

// Where the stack's files live, derived from the configuration.
struct StackPaths {
  std::string health_url;  // http://<listen>:<port>/healthz
  std::string run_dir;     // fcgi.pid, nginx.pid
  std::string access_log;  // <log_dir>/nginx-access.log
  std::string storage_dir;
  std::string database_dir;    // <var_dir>/mysql (ops/oj's MariaDB data directory)
  std::string nginx_temp_dir;  // <var_dir>/nginx
};
StackPaths PathsFrom(const Config& c);

// Reads new complete lines of a growing log (nginx's access log) in bounded chunks;
// starts at the end, follows rotation (a new inode or a shorter file).
class LogTail {
 public:
  explicit LogTail(std::string path, size_t max_bytes_per_read = 1 << 20);
  // Counts the lines appended since the last call. False if the file is unreadable.
  bool ReadNew(HttpCounts* counts);

 private:
  std::string path_;
  size_t max_bytes_;
  std::string buf_;
  ino_t ino_ = 0;
  off_t offset_ = -1;  // -1: not opened yet (start at the end)
};

class ReplicaCheck;

class Checker {
 public:
  explicit Checker(const Config& cfg);
  ~Checker();
  // One cycle: every check, in a fixed order. Bounded in time by the probe and
  // database timeouts.
  std::vector<Sample> RunAll();
  // What the last cycle saw, for the outage ledger (outage_keeper.h): whether the
  // health probe answered 200, and the access log's counts (nullopt: unreadable).
  bool last_probe_ok() const { return last_probe_ok_; }
  const std::optional<HttpCounts>& last_http() const { return last_http_; }

 private:
  void Probe(std::vector<Sample>* out);
  void Pressure(std::vector<Sample>* out);
  void Memory(std::vector<Sample>* out);
  void Disks(std::vector<Sample>* out);
  void DatabaseChecks(std::vector<Sample>* out);
  void Processes(std::vector<Sample>* out);
  void HttpRates(std::vector<Sample>* out);

  WatchdogConfig w_;
  StackPaths paths_;
  Database db_;
  LogTail access_log_;
  std::unique_ptr<ReplicaCheck> replica_;  // null: no replica configured
  bool last_probe_ok_ = false;
  std::optional<HttpCounts> last_http_;
};

// Processes whose parent is ppid, with their state letters (scans /proc).
std::vector<ProcStat> ChildrenOf(pid_t ppid);

}  // namespace oj::watchdog
