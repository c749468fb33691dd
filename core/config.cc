#include "core/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "core/db_tls.h"

namespace oj {
namespace {

using Setter = std::function<Status(const toml::node&, const std::string& key)>;

template <typename Int>
Setter IntSetter(Int* field, uint64_t min) {
  return [field, min](const toml::node& n, const std::string& key) -> Status {
    auto v = n.value_exact<int64_t>();
    if (!v) return Status::InvalidArgument("config key '" + key + "' must be an integer");
    if (*v < 0 || static_cast<uint64_t>(*v) < min ||
        static_cast<uint64_t>(*v) > std::numeric_limits<Int>::max()) {
      return Status::InvalidArgument("config key '" + key + "' is out of range (" +
                                     std::to_string(*v) + ", minimum " + std::to_string(min) + ")");
    }
    *field = static_cast<Int>(*v);
    return Status::Ok();
  };
}

Setter DoubleSetter(double* field) {
  return [field](const toml::node& n, const std::string& key) -> Status {
    auto v = n.value<double>();  // accepts integers too
    if (!v || *v < 0) {
      return Status::InvalidArgument("config key '" + key + "' must be a non-negative number");
    }
    *field = *v;
    return Status::Ok();
  };
}

Setter BoolSetter(bool* field) {
  return [field](const toml::node& n, const std::string& key) -> Status {
    auto v = n.value_exact<bool>();
    if (!v) return Status::InvalidArgument("config key '" + key + "' must be true or false");
    *field = *v;
    return Status::Ok();
  };
}

Setter StringSetter(std::string* field) {
  return [field](const toml::node& n, const std::string& key) -> Status {
    auto v = n.value_exact<std::string>();
    if (!v) return Status::InvalidArgument("config key '" + key + "' must be a string");
    *field = *v;
    return Status::Ok();
  };
}

Setter StringListSetter(std::vector<std::string>* field) {
  return [field](const toml::node& n, const std::string& key) -> Status {
    const toml::array* a = n.as_array();
    if (!a) return Status::InvalidArgument("config key '" + key + "' must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *a) {
      auto v = e.value_exact<std::string>();
      if (!v) return Status::InvalidArgument("config key '" + key + "' must hold only strings");
      out.push_back(*v);
    }
    *field = std::move(out);
    return Status::Ok();
  };
}

std::map<std::string, Setter> Bindings(Config& c) {
  std::map<std::string, Setter> b;
  b["server.listen"] = StringSetter(&c.server.listen);
  b["server.port"] = IntSetter(&c.server.port, 1);
  b["server.display_timezone"] = StringSetter(&c.server.display_timezone);
  b["server.metrics_allow"] = StringListSetter(&c.server.metrics_allow);
  b["server.archive_allow"] = StringListSetter(&c.server.archive_allow);
  b["server.nginx_workers"] = IntSetter(&c.server.nginx_workers, 1);
  b["server.nginx_worker_connections"] = IntSetter(&c.server.nginx_worker_connections, 64);
  b["server.public_url"] = StringSetter(&c.server.public_url);
  b["server.nginx_user"] = StringSetter(&c.server.nginx_user);
  b["server.nginx_group"] = StringSetter(&c.server.nginx_group);
  b["paths.var_dir"] = StringSetter(&c.paths.var_dir);
  b["paths.storage_dir"] = StringSetter(&c.paths.storage_dir);
  b["paths.run_dir"] = StringSetter(&c.paths.run_dir);
  b["paths.log_dir"] = StringSetter(&c.paths.log_dir);
  b["paths.assets_dir"] = StringSetter(&c.paths.assets_dir);
  b["paths.judges_dir"] = StringSetter(&c.paths.judges_dir);
  b["paths.keys_dir"] = StringSetter(&c.paths.keys_dir);
  b["database.host"] = StringSetter(&c.database.host);
  b["database.port"] = IntSetter(&c.database.port, 1);
  b["database.socket"] = StringSetter(&c.database.socket);
  b["database.user"] = StringSetter(&c.database.user);
  b["database.password"] = StringSetter(&c.database.password);
  b["database.name"] = StringSetter(&c.database.name);
  b["database.connect_timeout_s"] = IntSetter(&c.database.connect_timeout_s, 1);
  b["database.read_timeout_s"] = IntSetter(&c.database.read_timeout_s, 1);
  b["database.replica_host"] = StringSetter(&c.database.replica_host);
  b["database.replica_port"] = IntSetter(&c.database.replica_port, 1);
  b["database.replica_socket"] = StringSetter(&c.database.replica_socket);
  b["database.replica_max_lag_s"] = IntSetter(&c.database.replica_max_lag_s, 0);
  b["database.tls_mode"] = StringSetter(&c.database.tls_mode);
  b["database.tls_ca"] = StringSetter(&c.database.tls_ca);
  b["database.tls_cert"] = StringSetter(&c.database.tls_cert);
  b["database.tls_key"] = StringSetter(&c.database.tls_key);
  b["fcgi.socket"] = StringSetter(&c.fcgi.socket);
  b["fcgi.socket_group"] = StringSetter(&c.fcgi.socket_group);
  b["fcgi.workers"] = IntSetter(&c.fcgi.workers, 1);
  b["fcgi.max_requests"] = IntSetter(&c.fcgi.max_requests, 1);
  b["fcgi.request_timeout_s"] = IntSetter(&c.fcgi.request_timeout_s, 1);
  b["fcgi.drain_timeout_s"] = IntSetter(&c.fcgi.drain_timeout_s, 1);
  b["upload.max_body_bytes"] = IntSetter(&c.upload.max_body_bytes, 1024);
  b["upload.min_free_bytes"] = IntSetter(&c.upload.min_free_bytes, 0);
  b["upload.token_limit"] = IntSetter(&c.upload.token_limit, 1);
  b["upload.token_window_s"] = IntSetter(&c.upload.token_window_s, 1);
  b["upload.retry_after_s"] = IntSetter(&c.upload.retry_after_s, 1);
  b["upload.client_body_timeout_s"] = IntSetter(&c.upload.client_body_timeout_s, 1);
  b["upload.idempotency_window_s"] = IntSetter(&c.upload.idempotency_window_s, 1);
  b["upload.receipts"] = BoolSetter(&c.upload.receipts);
  b["rate.upload_per_ip_rps"] = IntSetter(&c.rate.upload_per_ip_rps, 1);
  b["rate.upload_burst"] = IntSetter(&c.rate.upload_burst, 0);
  b["rate.page_per_ip_rps"] = IntSetter(&c.rate.page_per_ip_rps, 1);
  b["rate.page_burst"] = IntSetter(&c.rate.page_burst, 0);
  b["rate.conn_per_ip"] = IntSetter(&c.rate.conn_per_ip, 1);
  b["rate.retry_after_s"] = IntSetter(&c.rate.retry_after_s, 1);
  b["rate.microcache_s"] = IntSetter(&c.rate.microcache_s, 0);
  b["runner.slots"] = IntSetter(&c.runner.slots, 1);
  b["runner.lease_s"] = IntSetter(&c.runner.lease_s, 2);
  b["runner.heartbeat_s"] = IntSetter(&c.runner.heartbeat_s, 1);
  b["runner.max_attempts"] = IntSetter(&c.runner.max_attempts, 1);
  b["runner.idle_poll_ms"] = IntSetter(&c.runner.idle_poll_ms, 10);
  b["runner.work_dir"] = StringSetter(&c.runner.work_dir);
  b["runner.bwrap_path"] = StringSetter(&c.runner.bwrap_path);
  b["runner.psi_memory_max"] = DoubleSetter(&c.runner.psi_memory_max);
  b["runner.psi_io_max"] = DoubleSetter(&c.runner.psi_io_max);
  b["runner.mem_available_min_bytes"] = IntSetter(&c.runner.mem_available_min_bytes, 0);
  b["runner.disk_free_min_bytes"] = IntSetter(&c.runner.disk_free_min_bytes, 0);
  b["runner.psi_memory_path"] = StringSetter(&c.runner.psi_memory_path);
  b["runner.psi_io_path"] = StringSetter(&c.runner.psi_io_path);
  b["runner.meminfo_path"] = StringSetter(&c.runner.meminfo_path);
  b["runner.archive_url"] = StringSetter(&c.runner.archive_url);
  b["runner.archive_link_ttl_s"] = IntSetter(&c.runner.archive_link_ttl_s, 5);
  b["runner.archive_fetch_timeout_s"] = IntSetter(&c.runner.archive_fetch_timeout_s, 1);
  b["watchdog.interval_s"] = IntSetter(&c.watchdog.interval_s, 1);
  b["watchdog.probe_timeout_ms"] = IntSetter(&c.watchdog.probe_timeout_ms, 10);
  b["watchdog.probe_latency_max_ms"] = IntSetter(&c.watchdog.probe_latency_max_ms, 1);
  b["watchdog.psi_memory_some_max"] = DoubleSetter(&c.watchdog.psi_memory_some_max);
  b["watchdog.psi_memory_full_max"] = DoubleSetter(&c.watchdog.psi_memory_full_max);
  b["watchdog.psi_io_some_max"] = DoubleSetter(&c.watchdog.psi_io_some_max);
  b["watchdog.psi_io_full_max"] = DoubleSetter(&c.watchdog.psi_io_full_max);
  b["watchdog.psi_cpu_some_max"] = DoubleSetter(&c.watchdog.psi_cpu_some_max);
  b["watchdog.psi_dir"] = StringSetter(&c.watchdog.psi_dir);
  b["watchdog.meminfo_path"] = StringSetter(&c.watchdog.meminfo_path);
  b["watchdog.mem_available_min_bytes"] = IntSetter(&c.watchdog.mem_available_min_bytes, 0);
  b["watchdog.disk_free_min_percent"] = DoubleSetter(&c.watchdog.disk_free_min_percent);
  b["watchdog.queue_depth_max"] = IntSetter(&c.watchdog.queue_depth_max, 1);
  b["watchdog.oldest_queued_max_s"] = IntSetter(&c.watchdog.oldest_queued_max_s, 1);
  b["watchdog.heartbeat_max_age_s"] = IntSetter(&c.watchdog.heartbeat_max_age_s, 1);
  b["watchdog.for_s"] = IntSetter(&c.watchdog.for_s, 0);
  b["watchdog.repeat_s"] = IntSetter(&c.watchdog.repeat_s, 1);
  b["watchdog.webhook_url"] = StringSetter(&c.watchdog.webhook_url);
  b["watchdog.webhook_template"] = StringSetter(&c.watchdog.webhook_template);
  b["watchdog.command"] = StringSetter(&c.watchdog.command);
  b["watchdog.sendmail_to"] = StringSetter(&c.watchdog.sendmail_to);
  b["watchdog.http_5xx_max_percent"] = DoubleSetter(&c.watchdog.http_5xx_max_percent);
  b["watchdog.http_429_max_percent"] = DoubleSetter(&c.watchdog.http_429_max_percent);
  b["watchdog.http_min_requests"] = IntSetter(&c.watchdog.http_min_requests, 1);
  b["watchdog.delivery_timeout_ms"] = IntSetter(&c.watchdog.delivery_timeout_ms, 100);
  b["watchdog.action_command"] = StringSetter(&c.watchdog.action_command);
  b["watchdog.action_cooldown_s"] = IntSetter(&c.watchdog.action_cooldown_s, 0);
  b["ledger.journal_max_bytes"] = IntSetter(&c.ledger.journal_max_bytes, 4096);
  b["ledger.probe_fail_percent"] = DoubleSetter(&c.ledger.probe_fail_percent);
  b["ledger.upload_5xx_percent"] = DoubleSetter(&c.ledger.upload_5xx_percent);
  b["ledger.upload_min_requests"] = IntSetter(&c.ledger.upload_min_requests, 1);
  b["grace.window_s"] = IntSetter(&c.grace.window_s, 0);
  b["grace.settle_s"] = IntSetter(&c.grace.settle_s, 0);
  b["grace.late_accept_s"] = IntSetter(&c.grace.late_accept_s, 0);
  b["canary.interval_s"] = IntSetter(&c.canary.interval_s, 0);
  b["canary.judge_target_s"] = IntSetter(&c.canary.judge_target_s, 1);
  b["canary.upload_timeout_ms"] = IntSetter(&c.canary.upload_timeout_ms, 100);
  b["watchdog.event_quiet_s"] = IntSetter(&c.watchdog.event_quiet_s, 1);
  b["watchdog.nginx_reading_max"] = IntSetter(&c.watchdog.nginx_reading_max, 1);
  b["log.level"] = StringSetter(&c.log.level);
  return b;
}

void ResolvePath(std::string* p, const std::string& base) {
  if (p->empty() || base.empty()) return;
  std::filesystem::path path(*p);
  if (path.is_relative()) *p = (std::filesystem::path(base) / path).lexically_normal().string();
}

// A user or group name as nginx's `user` line and getgrnam take it: nothing that could end
// the directive or the line.
bool IsPlainName(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-';
  });
}

Status ValidatePublicUrl(const std::string& url) {
  if (url.empty()) return Status::Ok();
  bool scheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  size_t host_at = url.find("://") + 3;
  bool clean = std::all_of(url.begin(), url.end(), [](unsigned char ch) {
    return ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != '<' && ch != '>';
  });
  if (!scheme || !clean || url.size() == host_at || url.back() == '/' ||
      url.find_first_of("?#", host_at) != std::string::npos) {
    return Status::InvalidArgument(
        "config key 'server.public_url' must be the address students use, like "
        "\"https://oj.example.edu\" or \"http://10.0.0.5:8080\" (http or https, no trailing "
        "slash, no query; got '" +
        url + "')");
  }
  return Status::Ok();
}

// Keys an older config may still hold, and why they went.
const char* RemovedKeyReason(const std::string& key) {
  static const std::map<std::string, const char*> kRemoved = {
      {"runner.max_internal_errors",
       "after a judge failure the runner runs its self-test and disables itself only when that "
       "fails (docs/runner.md, \"Who is to blame\")"},
      {"upload.dedup_window_s",
       "retries are told by the client's Idempotency-Key, within upload.idempotency_window_s"},
      {"runner.executor",
       "the runner judges only in its namespaces + cgroup sandbox (\"native\", still accepted); "
       "the docker executor was never run and is gone (docs/runner.md)"},
  };
  auto it = kRemoved.find(key);
  return it == kRemoved.end() ? nullptr : it->second;
}

}  // namespace

std::string PublicBaseUrl(const Config& c) {
  if (!c.server.public_url.empty()) return c.server.public_url;
  return "http://" + c.server.listen + ":" + std::to_string(c.server.port);
}

Status ValidateConfig(const Config& c) {
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= (c.log.level == l);
  if (!level_ok) {
    return Status::InvalidArgument(
        "config key 'log.level' must be one of trace, debug, info, "
        "warn, error (got '" +
        c.log.level + "')");
  }
  if (c.runner.bwrap_path.empty() || c.runner.bwrap_path[0] != '/') {
    return Status::InvalidArgument(
        "config key 'runner.bwrap_path' must be an absolute path (got '" + c.runner.bwrap_path +
        "'; Debian's bubblewrap is /usr/bin/bwrap)");
  }
  if (c.runner.heartbeat_s * 2 > c.runner.lease_s) {
    return Status::InvalidArgument(
        "config key 'runner.lease_s' must be at least twice 'runner.heartbeat_s' so one late "
        "heartbeat does not lose the lease");
  }
  if (c.server.listen.empty()) {
    return Status::InvalidArgument("config key 'server.listen' must not be empty");
  }
  if (Status url = ValidatePublicUrl(c.server.public_url); !url.ok()) return url;
  for (const auto& [key, name] : {std::pair{"server.nginx_user", &c.server.nginx_user},
                                  std::pair{"server.nginx_group", &c.server.nginx_group},
                                  std::pair{"fcgi.socket_group", &c.fcgi.socket_group}}) {
    if (!IsPlainName(*name)) {
      return Status::InvalidArgument(std::string("config key '") + key +
                                     "' must be a user or group name ([A-Za-z0-9_.-], got '" +
                                     *name + "')");
    }
  }
  if (c.database.socket.empty() && c.database.host.empty()) {
    return Status::InvalidArgument("config needs 'database.socket' or 'database.host'");
  }
  if (Status tls = ValidateDatabaseTls(c.database); !tls.ok()) return tls;
  for (const std::string& a : c.server.metrics_allow) {
    if (a.empty() || a.find_first_of(" ;{}\"'") != std::string::npos) {
      return Status::InvalidArgument("config key 'server.metrics_allow' holds a bad address '" + a +
                                     "'");
    }
  }
  for (const std::string& a : c.server.archive_allow) {
    if (a.empty() || a.find_first_of(" ;{}\"'") != std::string::npos) {
      return Status::InvalidArgument("config key 'server.archive_allow' holds a bad address '" + a +
                                     "'");
    }
  }
  if (c.ledger.probe_fail_percent >= 100.0 || c.ledger.upload_5xx_percent > 100.0) {
    return Status::InvalidArgument(
        "config keys 'ledger.probe_fail_percent' (< 100) and 'ledger.upload_5xx_percent' "
        "(<= 100) are percentages");
  }
  if (!c.runner.archive_url.empty() && c.runner.archive_url.rfind("http://", 0) != 0) {
    return Status::InvalidArgument(
        "config key 'runner.archive_url' must start with http:// "
        "(got '" +
        c.runner.archive_url + "')");
  }
  return Status::Ok();
}

Result<Config> ParseConfig(const std::string& toml_text, const std::string& base_dir) {
  Config c;
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "config is not valid TOML at line " << e.source().begin.line << ": " << e.description();
    return Status::InvalidArgument(os.str());
  }
  auto bindings = Bindings(c);
  for (auto&& [section, node] : root) {
    const toml::table* t = node.as_table();
    std::string sname(section.str());
    if (!t) {
      return Status::InvalidArgument("config key '" + sname +
                                     "' is not a section; keys live in [server], [paths], ...");
    }
    for (auto&& [key, value] : *t) {
      std::string full = sname + "." + std::string(key.str());
      // A sub-table [a.b] spells the flat keys a.b_*: [database.replica] host = ... is
      // database.replica_host.
      if (const toml::table* sub = value.as_table()) {
        for (auto&& [subkey, subvalue] : *sub) {
          std::string spelled = full + "." + std::string(subkey.str());
          auto it = bindings.find(full + "_" + std::string(subkey.str()));
          if (it == bindings.end() || subvalue.is_table()) {
            return Status::InvalidArgument("unknown config key '" + spelled +
                                           "' (see ops/oj.example.toml for every key)");
          }
          Status s = it->second(subvalue, spelled);
          if (!s.ok()) return s;
        }
        continue;
      }
      auto it = bindings.find(full);
      if (it == bindings.end()) {
        if (full == "runner.executor" && value.value_or(std::string()) == "native") {
          continue;  // what every config said: the only sandbox there is
        }
        if (const char* why = RemovedKeyReason(full)) {
          return Status::InvalidArgument("config key '" + full + "' was removed: " + why +
                                         "; delete the line");
        }
        return Status::InvalidArgument("unknown config key '" + full +
                                       "' (see ops/oj.example.toml for every key)");
      }
      Status s = it->second(value, full);
      if (!s.ok()) return s;
    }
  }
  for (std::string* p : {&c.paths.var_dir, &c.paths.storage_dir, &c.paths.run_dir, &c.paths.log_dir,
                         &c.paths.assets_dir, &c.paths.judges_dir, &c.paths.keys_dir,
                         &c.fcgi.socket, &c.runner.work_dir}) {
    ResolvePath(p, base_dir);
  }
  if (!c.database.socket.empty()) ResolvePath(&c.database.socket, base_dir);
  if (!c.database.replica_socket.empty()) ResolvePath(&c.database.replica_socket, base_dir);
  for (std::string* p : {&c.database.tls_ca, &c.database.tls_cert, &c.database.tls_key}) {
    if (!p->empty()) ResolvePath(p, base_dir);
  }
  Status s = ValidateConfig(c);
  if (!s.ok()) return s;
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound("cannot read config file '" + path +
                            "'; pass --config PATH (example: ops/oj.example.toml)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::path abs = std::filesystem::absolute(path);
  Result<Config> r = ParseConfig(ss.str(), abs.parent_path().string());
  if (!r.ok()) return Status::InvalidArgument(path + ": " + r.status().message());
  r->source_path = abs.string();
  return r;
}

}  // namespace oj
