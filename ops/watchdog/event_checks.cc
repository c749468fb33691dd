#include "ops/watchdog/event_checks.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "core/fs.h"
#include "core/http_client.h"

namespace oj::watchdog {
namespace {

Sample Event(std::string check, const char* threshold) {
  Sample s{std::move(check), Observation::kUnknown, "", threshold, "", true};
  return s;
}

std::optional<uint64_t> NumberAfter(std::string_view text, std::string_view key) {
  size_t at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  at += key.size();
  while (at < text.size() && text[at] == ' ') ++at;
  uint64_t v = 0;
  size_t digits = 0;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
    v = v * 10 + static_cast<uint64_t>(text[at++] - '0');
    ++digits;
  }
  if (digits == 0 || digits > 19) return std::nullopt;
  return v;
}

DatabaseConfig ShortTimeouts(DatabaseConfig d) {
  d.connect_timeout_s = std::min<uint32_t>(d.connect_timeout_s, 2);
  d.read_timeout_s = std::min<uint32_t>(d.read_timeout_s, 3);
  return d;
}

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Sample PoolCrashes(const std::optional<PoolState>& prev, const std::optional<PoolState>& cur,
                   const std::string& where) {
  Sample s = Event("fcgi_worker_crashes", "0");
  if (!cur) {
    s.detail = where + " not readable (no pool master running, or paths.run_dir differs)";
    return s;
  }
  uint64_t seen = 0;
  if (prev) {
    bool same_master = prev->master_pid == cur->master_pid && prev->started_at == cur->started_at;
    seen = same_master ? cur->worker_crashes - std::min(cur->worker_crashes, prev->worker_crashes)
                       : cur->worker_crashes;  // a new master counts from 0
  }
  s.value = std::to_string(seen);
  s.obs = seen > 0 ? Observation::kOver : Observation::kOk;
  s.detail = seen > 0 ? std::to_string(seen) + " FastCGI worker(s) died since the last check (" +
                            std::to_string(cur->worker_crashes) + " under master " +
                            std::to_string(cur->master_pid) + "; last: " + cur->last_crash +
                            "); the master respawned them"
                      : "no FastCGI worker died since the last check (" +
                            std::to_string(cur->worker_crashes) + " under master " +
                            std::to_string(cur->master_pid) + ")";
  return s;
}

Sample MasterRestart(const std::optional<PoolState>& prev, const std::optional<PoolState>& cur,
                     const std::string& where) {
  Sample s = Event("fcgi_master_restarted", "0");
  if (!cur) {
    s.detail = where + " not readable (no pool master running, or paths.run_dir differs)";
    return s;
  }
  bool restarted =
      prev && (prev->master_pid != cur->master_pid || prev->started_at != cur->started_at);
  s.obs = restarted ? Observation::kOver : Observation::kOk;
  s.value = restarted ? "1" : "0";
  s.detail = restarted ? "the FastCGI pool master was restarted: pid " +
                             std::to_string(prev->master_pid) + " is now pid " +
                             std::to_string(cur->master_pid) +
                             " (it crashed or was killed, and its supervisor started it again)"
                       : "FastCGI pool master " + std::to_string(cur->master_pid) + " unchanged";
  return s;
}

Sample DatabaseRestart(std::optional<double> prev_start, std::optional<double> cur_start,
                       std::optional<uint64_t> cur_uptime, const std::string& why_unknown,
                       double slack_s) {
  Sample s = Event("database_restarted", "0");
  if (!cur_start || !cur_uptime) {
    s.detail = why_unknown;
    return s;
  }
  bool restarted = prev_start && *cur_start > *prev_start + slack_s;
  s.obs = restarted ? Observation::kOver : Observation::kOk;
  s.value = std::to_string(*cur_uptime);
  s.detail = restarted ? "the database server restarted: up for " + s.value +
                             " s only (it was running before); its clients reconnected"
                       : "database server up for " + s.value + " s";
  return s;
}

Sample RunnerRestarts(const std::optional<std::vector<RunnerStart>>& prev,
                      const std::optional<std::vector<RunnerStart>>& cur,
                      const std::string& why_unknown) {
  Sample s = Event("runner_restarted", "0");
  if (!cur) {
    s.detail = why_unknown;
    return s;
  }
  std::map<std::string, const RunnerStart*> before;
  if (prev) {
    for (const RunnerStart& r : *prev) before[r.id] = &r;
  }
  std::string which;
  size_t n = 0;
  for (const RunnerStart& r : *cur) {
    auto it = before.find(r.id);
    if (it == before.end() || r.started_at.empty() || it->second->started_at.empty()) continue;
    if (it->second->started_at == r.started_at) continue;
    ++n;
    if (which.size() < 300) {
      which += (which.empty() ? "" : ", ") + r.id + " (pid " + std::to_string(it->second->pid) +
               " -> " + std::to_string(r.pid) + ", started " + r.started_at + " UTC)";
    }
  }
  s.value = std::to_string(n);
  s.obs = n > 0 ? Observation::kOver : Observation::kOk;
  s.detail = n > 0 ? "runner restarted: " + which + "; a job it held returns to the queue"
                   : std::to_string(cur->size()) + " runner(s), none restarted";
  return s;
}

Sample OomKills(std::optional<uint64_t> prev, std::optional<uint64_t> cur) {
  Sample s = Event("oom_kills", "0");
  if (!cur) {
    s.detail = "/proc/vmstat has no oom_kill line";
    return s;
  }
  uint64_t n = prev ? *cur - std::min(*cur, *prev) : 0;
  s.value = std::to_string(n);
  s.obs = n > 0 ? Observation::kOver : Observation::kOk;
  s.detail = n > 0 ? "the kernel killed " + std::to_string(n) +
                         " process(es) for memory since the last check (a judged job at its "
                         "memory cap counts too: see the runner log; anything else is a "
                         "server process)"
                   : "no OOM kill since the last check";
  return s;
}

std::optional<NginxStatus> ParseStubStatus(std::string_view text) {
  auto active = NumberAfter(text, "Active connections:");
  auto reading = NumberAfter(text, "Reading:");
  auto writing = NumberAfter(text, "Writing:");
  auto waiting = NumberAfter(text, "Waiting:");
  if (!active || !reading || !writing || !waiting) return std::nullopt;
  return NginxStatus{*active, *reading, *writing, *waiting};
}

Sample NginxSlowClients(const std::optional<NginxStatus>& st, uint64_t reading_max,
                        const std::string& why_unknown) {
  Sample s{"nginx_slow_clients", Observation::kUnknown, "", std::to_string(reading_max), ""};
  if (!st) {
    s.detail = why_unknown;
    return s;
  }
  s.value = std::to_string(st->reading);
  s.obs = st->reading > reading_max ? Observation::kOver : Observation::kOk;
  s.detail = "nginx: " + s.value + " connections still sending request headers (max " +
             s.threshold + "; active " + std::to_string(st->active) + ", writing " +
             std::to_string(st->writing) + ", idle " + std::to_string(st->waiting) + ")";
  return s;
}

std::optional<uint64_t> ParseVmstatOomKill(std::string_view text) {
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string_view line = text.substr(at, nl == std::string_view::npos ? nl : nl - at);
    if (line.starts_with("oom_kill ")) return NumberAfter(line, "oom_kill ");
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return std::nullopt;
}

EventChecker::EventChecker(const Config& cfg)
    : w_(cfg.watchdog), run_dir_(cfg.paths.run_dir), db_(ShortTimeouts(cfg.database)) {
  std::string health = PathsFrom(cfg).health_url;
  stub_status_url_ = health.substr(0, health.rfind('/')) + "/nginx_status";
}

void EventChecker::RunAll(std::vector<Sample>* out) {
  std::string state_path = run_dir_ + "/" + kPoolStateFile;
  std::optional<PoolState> pool;
  if (auto text = ReadSmallFile(state_path, 4096); text.ok()) pool = ParsePoolState(*text);
  out->push_back(PoolCrashes(pool_, pool, state_path));
  out->push_back(MasterRestart(pool_, pool, state_path));
  if (pool) pool_ = pool;

  auto uptime = ReadDatabaseUptime(db_);
  std::optional<double> start;
  std::optional<uint64_t> up;
  std::string why = uptime.ok() ? "" : "database unreachable: " + uptime.status().message();
  if (uptime.ok()) {
    up = *uptime;
    start = MonotonicSeconds() - static_cast<double>(*uptime);
  }
  out->push_back(DatabaseRestart(db_start_, start, up, why));
  // The start estimate jitters by up to a second: keep the earliest for this server.
  if (start && (!db_start_ || *start > *db_start_ + 3.0 || *start < *db_start_)) db_start_ = start;

  std::optional<std::vector<RunnerStart>> runners;
  if (uptime.ok()) {
    auto r = ReadRunnerStarts(db_);
    if (r.ok()) {
      runners = std::move(*r);
    } else {
      why = "database unreachable: " + r.status().message();
    }
  }
  out->push_back(RunnerRestarts(runners_, runners, why));
  if (runners) runners_ = std::move(runners);

  std::optional<uint64_t> oom;
  if (auto text = ReadSmallFile("/proc/vmstat", 64 * 1024); text.ok()) {
    oom = ParseVmstatOomKill(*text);
  }
  out->push_back(OomKills(oom_kills_, oom));
  if (oom) oom_kills_ = oom;

  std::optional<NginxStatus> ng;
  std::string ng_why;
  auto r = HttpGet(stub_status_url_, {.timeout = std::chrono::milliseconds(w_.probe_timeout_ms),
                                      .user_agent = "oj-watchdog"});
  if (!r.ok()) {
    ng_why = "GET " + stub_status_url_ + " got no answer: " + r.status().message();
  } else if (r->status != 200) {
    ng_why = "GET " + stub_status_url_ + " answered " + std::to_string(r->status);
  } else {
    ng = ParseStubStatus(r->body);
    if (!ng) ng_why = "GET " + stub_status_url_ + ": not nginx stub_status text";
  }
  out->push_back(NginxSlowClients(ng, w_.nginx_reading_max, ng_why));
}

}  // namespace oj::watchdog
