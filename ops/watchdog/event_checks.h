// Event checks: what happens and is recovered from before any threshold-and-`for`
// check could see it (a crash, a restart: the supervisors bring things back in 1-3 s).
// Each compares what it sees now with what it saw last cycle; a change is an event
// (Sample::event, see StepEvent in alert_state.h: fires at once, resolves after
// watchdog.event_quiet_s without a new event). The first look is a baseline, never an
// event, so a restarted watchdog does not alert on old news.
//
//   fcgi_worker_crashes    workers that died abnormally since the last cycle (the pool
//                          master's count in <run_dir>/fcgi.state; it respawns them at once)
//   fcgi_master_restarted  fcgi.state names another master (pid or start time)
//   runner_restarted       a runner row's started_at changed (its process was restarted)
//   database_restarted     the database server's start (now - Uptime) moved forward
//   oom_kills              /proc/vmstat oom_kill grew: the kernel killed a process for
//                          memory; a judged job killed at its memory cap counts too
// and one state check, with `for` like the others:
//   nginx_slow_clients     connections still sending request headers (nginx stub_status
//                          "Reading") over nginx_reading_max: a slow-loris
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/db.h"
#include "core/pool_state.h"
#include "core/restart_store.h"
#include "ops/watchdog/checks.h"

namespace oj::watchdog {

// Pure detections (event_checks_test.cc). prev = nullopt: the first look (baseline);
// cur = nullopt: not measurable now (the sample is kUnknown). `where` names the source.
Sample PoolCrashes(const std::optional<PoolState>& prev, const std::optional<PoolState>& cur,
                   const std::string& where);
Sample MasterRestart(const std::optional<PoolState>& prev, const std::optional<PoolState>& cur,
                     const std::string& where);
// Start times are the monotonic clock minus the reported uptime, in seconds; a start
// that moved forward by more than slack_s is a restart (uptime has 1 s granularity).
Sample DatabaseRestart(std::optional<double> prev_start, std::optional<double> cur_start,
                       std::optional<uint64_t> cur_uptime, const std::string& why_unknown,
                       double slack_s = 3.0);
Sample RunnerRestarts(const std::optional<std::vector<RunnerStart>>& prev,
                      const std::optional<std::vector<RunnerStart>>& cur,
                      const std::string& why_unknown);
Sample OomKills(std::optional<uint64_t> prev, std::optional<uint64_t> cur);

struct NginxStatus {
  uint64_t active = 0, reading = 0, writing = 0, waiting = 0;
};
// nginx stub_status text ("Active connections: 3 \n...\nReading: 0 Writing: 1 Waiting: 2 ").
std::optional<NginxStatus> ParseStubStatus(std::string_view text);
Sample NginxSlowClients(const std::optional<NginxStatus>& s, uint64_t reading_max,
                        const std::string& why_unknown);
// The "oom_kill N" line of /proc/vmstat.
std::optional<uint64_t> ParseVmstatOomKill(std::string_view text);

// Keeps last cycle's observations. A value that could not be read keeps the previous
// one, so a restart seen across an outage (the database) is still detected.
class EventChecker {
 public:
  explicit EventChecker(const Config& cfg);
  void RunAll(std::vector<Sample>* out);

 private:
  WatchdogConfig w_;
  std::string run_dir_;
  std::string stub_status_url_;
  Database db_;
  std::optional<PoolState> pool_;
  std::optional<double> db_start_;
  std::optional<std::vector<RunnerStart>> runners_;
  std::optional<uint64_t> oom_kills_;
};

}  // namespace oj::watchdog
