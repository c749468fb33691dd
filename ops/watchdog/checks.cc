#include "ops/watchdog/checks.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "core/fs.h"
#include "core/http_client.h"
#include "core/metrics_store.h"
#include "domain/submission_status.h"
#include "ops/watchdog/replica_check.h"

namespace oj::watchdog {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s(buf);
  if (s.ends_with(".00")) s.resize(s.size() - 3);
  return s;
}

DatabaseConfig WatchdogDb(DatabaseConfig d) {
  // A hung database must not stall the cycle for long; the probe reports it.
  d.connect_timeout_s = std::min<uint32_t>(d.connect_timeout_s, 2);
  d.read_timeout_s = std::min<uint32_t>(d.read_timeout_s, 3);
  return d;
}

std::optional<pid_t> ReadPidfile(const std::string& path) {
  auto text = ReadSmallFile(path, 64);
  if (!text.ok()) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(text->c_str(), &end, 10);
  if (v <= 0 || end == text->c_str()) return std::nullopt;
  return static_cast<pid_t>(v);
}

std::optional<ProcStat> StatOf(pid_t pid) {
  auto text = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!text.ok()) return std::nullopt;
  return ParseProcStat(*text);
}

bool Running(char state) { return state != 'T' && state != 't' && state != 'Z' && state != 'X'; }

std::string HealthHost(const std::string& listen) {
  if (listen.empty() || listen == "0.0.0.0" || listen == "*") return "127.0.0.1";
  if (listen == "::" || listen == "[::]") return "[::1]";
  if (listen.find(':') != std::string::npos && listen.front() != '[') return "[" + listen + "]";
  return listen;
}

}  // namespace

Sample OverMax(std::string check, std::optional<double> value, double max, std::string what) {
  Sample s{std::move(check), Observation::kUnknown, "", Num(max), ""};
  if (!value) {
    s.detail = what + ": not readable";
    return s;
  }
  s.value = Num(*value);
  s.obs = *value > max ? Observation::kOver : Observation::kOk;
  s.detail = what + " " + s.value + (s.obs == Observation::kOver ? " > " : " <= ") + s.threshold;
  return s;
}

Sample UnderMin(std::string check, std::optional<double> value, double min, std::string what) {
  Sample s{std::move(check), Observation::kUnknown, "", Num(min), ""};
  if (!value) {
    s.detail = what + ": not readable";
    return s;
  }
  s.value = Num(*value);
  s.obs = *value < min ? Observation::kOver : Observation::kOk;
  s.detail = what + " " + s.value + (s.obs == Observation::kOver ? " < " : " >= ") + s.threshold;
  return s;
}

Sample RateSample(std::string check, uint64_t hits, uint64_t total, uint64_t min_requests,
                  double max_percent, std::string what) {
  Sample s{std::move(check), Observation::kOk, "", Num(max_percent), ""};
  double pct = total == 0 ? 0.0 : 100.0 * static_cast<double>(hits) / static_cast<double>(total);
  s.value = Num(pct);
  s.detail = what + ": " + std::to_string(hits) + " of " + std::to_string(total) + " requests (" +
             s.value + "%)";
  if (total < min_requests) {
    s.detail += ", too few requests to judge";
    return s;
  }
  if (pct > max_percent) s.obs = Observation::kOver;
  return s;
}

StackPaths PathsFrom(const Config& c) {
  namespace fs = std::filesystem;
  StackPaths p;
  p.health_url =
      "http://" + HealthHost(c.server.listen) + ":" + std::to_string(c.server.port) + "/healthz";
  p.run_dir = c.paths.run_dir;
  p.access_log = (fs::path(c.paths.log_dir) / "nginx-access.log").string();
  p.storage_dir = c.paths.storage_dir;
  p.database_dir = (fs::path(c.paths.var_dir) / "mysql").string();
  p.nginx_temp_dir = (fs::path(c.paths.var_dir) / "nginx").string();
  return p;
}

LogTail::LogTail(std::string path, size_t max_bytes_per_read)
    : path_(std::move(path)), max_bytes_(max_bytes_per_read) {}

bool LogTail::ReadNew(HttpCounts* counts) {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return false;
  if (offset_ < 0) {  // first look: only what comes from now on counts
    ino_ = st.st_ino;
    offset_ = st.st_size;
    return true;
  }
  if (st.st_ino != ino_ || st.st_size < offset_) {  // rotated or truncated
    ino_ = st.st_ino;
    offset_ = 0;
  }
  if (st.st_size - offset_ > static_cast<off_t>(max_bytes_)) {
    offset_ = st.st_size - static_cast<off_t>(max_bytes_);  // skip a flood; sample the tail
  }
  buf_.resize(max_bytes_);
  ssize_t n = pread(fd.get(), buf_.data(), max_bytes_, offset_);
  if (n < 0) return false;
  std::string_view chunk(buf_.data(), static_cast<size_t>(n));
  size_t used = CountAccessLog(chunk, counts);
  if (used == 0 && static_cast<size_t>(n) == max_bytes_) used = max_bytes_;  // one huge line
  offset_ += static_cast<off_t>(used);
  return true;
}

std::vector<ProcStat> ChildrenOf(pid_t ppid) {
  std::vector<ProcStat> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    auto s = StatOf(static_cast<pid_t>(std::atoi(e->d_name)));
    if (s && s->ppid == ppid) out.push_back(*s);
    if (out.size() >= 4096) break;
  }
  closedir(d);
  return out;
}

Checker::Checker(const Config& cfg)
    : w_(cfg.watchdog),
      paths_(PathsFrom(cfg)),
      db_(WatchdogDb(cfg.database)),
      access_log_(PathsFrom(cfg).access_log),
      replica_(ReplicaCheck::For(cfg.database)) {}

Checker::~Checker() = default;

std::vector<Sample> Checker::RunAll() {
  std::vector<Sample> out;
  out.reserve(24);
  Probe(&out);
  Pressure(&out);
  Memory(&out);
  Disks(&out);
  DatabaseChecks(&out);
  Processes(&out);
  HttpRates(&out);
  if (replica_) replica_->Run(&out);
  return out;
}

void Checker::Probe(std::vector<Sample>* out) {
  auto r = HttpGet(paths_.health_url, {.timeout = std::chrono::milliseconds(w_.probe_timeout_ms),
                                       .user_agent = "oj-watchdog"});
  Sample health{"health_probe", Observation::kOk, "", "200", ""};
  Sample latency{"probe_latency", Observation::kUnknown, "",
                 std::to_string(w_.probe_latency_max_ms), ""};
  if (!r.ok()) {
    health.obs = Observation::kOver;
    health.value = "0";
    health.detail = "GET " + paths_.health_url + " got no answer: " + r.status().message();
    latency.detail = "no answer";
  } else {
    std::string body = r->body.substr(0, r->body.find('\n')).substr(0, 200);
    health.value = std::to_string(r->status);
    health.obs = r->status == 200 ? Observation::kOk : Observation::kOver;
    health.detail = "GET " + paths_.health_url + " answered " + health.value + ": " + body;
    latency.value = std::to_string(r->elapsed.count());
    latency.obs =
        r->elapsed.count() > w_.probe_latency_max_ms ? Observation::kOver : Observation::kOk;
    latency.detail = "GET /healthz took " + latency.value + " ms (max " + latency.threshold + ")";
  }
  last_probe_ok_ = health.obs == Observation::kOk;
  out->push_back(std::move(health));
  out->push_back(std::move(latency));
}

void Checker::Pressure(std::vector<Sample>* out) {
  struct Resource {
    const char* name;
    double some_max;
    std::optional<double> full_max;
  };
  const Resource resources[] = {{"memory", w_.psi_memory_some_max, w_.psi_memory_full_max},
                                {"io", w_.psi_io_some_max, w_.psi_io_full_max},
                                {"cpu", w_.psi_cpu_some_max, std::nullopt}};
  for (const Resource& r : resources) {
    std::string path = w_.psi_dir + "/" + r.name;
    std::optional<oj::watchdog::Pressure> p;
    if (auto text = ReadSmallFile(path, 4096); text.ok()) p = ParsePressure(*text);
    std::string base = std::string("psi_") + r.name;
    out->push_back(OverMax(base + "_some", p ? std::optional(p->some_avg10) : std::nullopt,
                           r.some_max, path + " some avg10 %"));
    if (r.full_max) {
      out->push_back(OverMax(base + "_full", p ? p->full_avg10 : std::nullopt, *r.full_max,
                             path + " full avg10 %"));
    }
  }
}

void Checker::Memory(std::vector<Sample>* out) {
  std::optional<double> mib;
  if (auto text = ReadSmallFile(w_.meminfo_path, 64 * 1024); text.ok()) {
    if (auto v = ParseMemAvailable(*text)) mib = static_cast<double>(*v) / (1 << 20);
  }
  out->push_back(UnderMin("mem_available", mib,
                          static_cast<double>(w_.mem_available_min_bytes) / (1 << 20),
                          "MemAvailable MiB"));
}

void Checker::Disks(std::vector<Sample>* out) {
  const std::pair<const char*, const std::string*> dirs[] = {
      {"disk_storage", &paths_.storage_dir},
      {"disk_database", &paths_.database_dir},
      {"disk_nginx_temp", &paths_.nginx_temp_dir}};
  for (const auto& [name, dir] : dirs) {
    std::optional<double> free_pct;
    struct statvfs v {};
    if (statvfs(dir->c_str(), &v) == 0 && v.f_blocks > 0) {
      free_pct = 100.0 * static_cast<double>(v.f_bavail) / static_cast<double>(v.f_blocks);
    }
    out->push_back(UnderMin(name, free_pct, w_.disk_free_min_percent, *dir + " free %"));
  }
}

void Checker::DatabaseChecks(std::vector<Sample>* out) {
  auto queue = ReadQueueSnapshot(db_);
  auto runners = queue.ok() ? ReadRunners(db_) : Result<std::vector<RunnerRow>>(queue.status());
  if (!queue.ok() || !runners.ok()) {
    std::string why = "database unreachable: " +
                      (queue.ok() ? runners.status().message() : queue.status().message());
    for (const char* n : {"queue_depth", "oldest_queued", "runner_heartbeat", "runner_disabled"}) {
      out->push_back(Sample{n, Observation::kUnknown, "", "", why});
    }
    return;
  }
  auto q = queue->by_status.find(std::string(Name(SubmissionStatus::kQueued)));
  double depth = q == queue->by_status.end() ? 0 : static_cast<double>(q->second);
  out->push_back(OverMax("queue_depth", depth, w_.queue_depth_max, "queued submissions"));
  out->push_back(OverMax("oldest_queued", queue->oldest_queued_age_s.value_or(0.0),
                         w_.oldest_queued_max_s, "oldest queued submission waits (s)"));
  double worst = 0;
  std::string worst_id, disabled;
  size_t live = 0;
  for (const RunnerRow& r : *runners) {
    if (r.state == "disabled") {
      disabled += (disabled.empty() ? "" : ", ") + r.id + " (" + r.reason + ")";
      continue;
    }
    ++live;
    if (r.heartbeat_age_s > worst || worst_id.empty()) {
      worst = r.heartbeat_age_s;
      worst_id = r.id;
    }
  }
  Sample hb = OverMax("runner_heartbeat", worst, w_.heartbeat_max_age_s,
                      live == 0 ? std::string("no active runner; heartbeat age (s)")
                                : "runner " + worst_id + " heartbeat age (s)");
  out->push_back(std::move(hb));
  Sample dis{"runner_disabled", disabled.empty() ? Observation::kOk : Observation::kOver,
             disabled.empty() ? "0" : "1", "0",
             disabled.empty() ? "no runner disabled" : "disabled: " + disabled};
  out->push_back(std::move(dis));
}

void Checker::Processes(std::vector<Sample>* out) {
  Sample fcgi{"fcgi_processes", Observation::kOver, "0", "1", ""};
  std::string pidfile = paths_.run_dir + "/fcgi.pid";
  auto master = ReadPidfile(pidfile);
  auto mstat = master ? StatOf(*master) : std::nullopt;
  if (!master) {
    fcgi.detail = "no FastCGI pool: " + pidfile + " missing";
  } else if (!mstat || !Running(mstat->state)) {
    fcgi.detail = "FastCGI pool master " + std::to_string(*master) +
                  (mstat ? std::string(" is stopped (state ") + mstat->state + ")" : " is gone");
  } else {
    int running = 0, stopped = 0;
    for (const ProcStat& c : ChildrenOf(*master)) (Running(c.state) ? running : stopped)++;
    fcgi.value = std::to_string(running);
    fcgi.obs = running > 0 ? Observation::kOk : Observation::kOver;
    fcgi.detail = "FastCGI master " + std::to_string(*master) + ": " + std::to_string(running) +
                  " workers running, " + std::to_string(stopped) + " stopped or dead";
  }
  out->push_back(std::move(fcgi));

  Sample nginx{"nginx_process", Observation::kOver, "0", "1", ""};
  auto npid = ReadPidfile(paths_.run_dir + "/nginx.pid");
  auto nstat = npid ? StatOf(*npid) : std::nullopt;
  if (nstat && Running(nstat->state)) {
    nginx.obs = Observation::kOk;
    nginx.value = "1";
    nginx.detail = "nginx master " + std::to_string(*npid) + " running";
  } else {
    nginx.detail = npid ? "nginx master " + std::to_string(*npid) + " is gone or stopped"
                        : "no nginx: " + paths_.run_dir + "/nginx.pid missing";
  }
  out->push_back(std::move(nginx));
}

void Checker::HttpRates(std::vector<Sample>* out) {
  HttpCounts c;
  last_http_.reset();
  if (!access_log_.ReadNew(&c)) {
    for (const char* n : {"http_5xx_rate", "http_429_rate"}) {
      out->push_back(Sample{n, Observation::kUnknown, "", "", paths_.access_log + " unreadable"});
    }
    return;
  }
  last_http_ = c;
  out->push_back(RateSample("http_5xx_rate", c.server_errors, c.total, w_.http_min_requests,
                            w_.http_5xx_max_percent, "nginx 5xx answers"));
  out->push_back(RateSample("http_429_rate", c.rate_limited, c.total, w_.http_min_requests,
                            w_.http_429_max_percent, "nginx 429 answers"));
}

}  // namespace oj::watchdog
