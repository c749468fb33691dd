// The one configuration of every program: a TOML file (--config PATH).
// Every key, its unit and its default are documented in ops/oj.example.toml;
// config_test.cc checks that file parses to exactly these defaults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace oj {

struct ServerConfig {
  std::string listen = "127.0.0.1";
  uint16_t port = 8080;
  std::string display_timezone;                            // empty: the host's local zone
  std::vector<std::string> metrics_allow = {"127.0.0.1"};  // nginx allow list for /metrics
  // nginx allow list for /archive/ (signed archive links for judge hosts)
  std::vector<std::string> archive_allow = {"127.0.0.1"};
  uint32_t nginx_workers = 2;
  uint32_t nginx_worker_connections = 4096;
  // What students type: links the app hands out (X-OJ-Result-URL) start with it, never with
  // a request's Host header, which the client chooses. Empty: http://<listen>:<port>.
  std::string public_url;
  // nginx's workers when its master runs as root (the development stack; production passes
  // `-g "user www-data oj;"`): unprivileged, in the group that may reach the pool's socket.
  std::string nginx_user = "www-data";
  std::string nginx_group = "oj";
};

struct PathsConfig {  // relative paths are resolved against the config file's directory
  std::string var_dir = "var";
  std::string storage_dir = "var/storage";  // submissions; nginx temp lives beside it
  std::string run_dir = "var/run";          // sockets and pidfiles
  std::string log_dir = "var/log";
  std::string assets_dir = "var/assets";       // what nginx serves as src/: bootstrap, oj.js
  std::string judges_dir = "ops/demo/judges";  // base for relative modules.judge_dir
  std::string keys_dir = "var/keys";           // receipt signing keys (receipt-<n>.key, 0600)
};

struct DatabaseConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string socket;  // unix socket; preferred over host/port when set
  std::string user = "oj";
  std::string password;
  std::string name = "oj";
  uint32_t connect_timeout_s = 3;
  uint32_t read_timeout_s = 10;
  // Optional read replica for the results pages, JSON and ojctl reports (same user,
  // password and name). Empty host and socket: no replica. Reads fall back to the
  // primary when the replica is down or Seconds_Behind_Master exceeds replica_max_lag_s.
  std::string replica_host;
  uint16_t replica_port = 3306;
  std::string replica_socket;
  uint32_t replica_max_lag_s = 30;
  // TLS to the database (primary, replica and a judge host's remote address alike;
  // see core/db_tls.h): "off", "required" (encrypted, a server without TLS is refused)
  // or "verify" (also checks the server certificate against tls_ca and the host name).
  std::string tls_mode = "off";
  std::string tls_ca;    // PEM CA file (required for "verify")
  std::string tls_cert;  // client certificate (PEM), for accounts that REQUIRE X509
  std::string tls_key;   // its private key (PEM); with tls_cert
};

struct FcgiConfig {
  std::string socket = "var/run/fcgi.sock";
  // The socket is mode 0660; this group (nginx's workers') gets it. Empty: the pool's own
  // group (production: Group=oj in oj-fcgi.service).
  std::string socket_group;
  uint32_t workers = 8;
  uint32_t max_requests = 5000;     // a worker is recycled after this many requests
  uint32_t request_timeout_s = 60;  // a worker stuck longer on one request is killed
  uint32_t drain_timeout_s = 30;    // SIGTERM: time allowed to finish in-flight requests
};

struct UploadConfig {
  uint64_t max_body_bytes = 12ull << 20;   // nginx client_max_body_size and the app's limit
  uint64_t min_free_bytes = 256ull << 20;  // storage free space below this: 503
  uint32_t token_limit = 60;               // uploads per token per module per window
  uint32_t token_window_s = 600;
  uint32_t retry_after_s = 10;           // Retry-After on 503
  uint32_t client_body_timeout_s = 120;  // nginx: slow client allowance between reads
  // An upload whose Idempotency-Key the token used this recently gets the first answer.
  uint32_t idempotency_window_s = 86400;
  bool receipts = true;  // sign X-OJ-Receipt on every 200
};

struct RateConfig {  // nginx per-IP limits; generous: a lab shares one NAT address
  uint32_t upload_per_ip_rps = 20;
  uint32_t upload_burst = 200;
  uint32_t page_per_ip_rps = 200;
  uint32_t page_burst = 1000;
  uint32_t conn_per_ip = 256;
  uint32_t retry_after_s = 5;
  uint32_t microcache_s = 1;  // results page and JSON cache lifetime; 0 disables
};

struct RunnerConfig {
  uint32_t slots = 1;
  uint32_t lease_s = 60;
  uint32_t heartbeat_s = 5;
  uint32_t max_attempts = 3;
  uint32_t idle_poll_ms = 2000;  // fallback poll when no wake-up arrives
  std::string work_dir = "var/judge";
  // The sandbox's bubblewrap. A path that cannot run makes every job fail its sandbox,
  // the self-test too: the runner disables itself and the watchdog alerts.
  std::string bwrap_path = "/usr/bin/bwrap";
  double psi_memory_max = 40.0;  // avg10 "some" %, above: hold
  double psi_io_max = 60.0;
  uint64_t mem_available_min_bytes = 256ull << 20;
  uint64_t disk_free_min_bytes = 512ull << 20;
  std::string psi_memory_path = "/proc/pressure/memory";
  std::string psi_io_path = "/proc/pressure/io";
  std::string meminfo_path = "/proc/meminfo";
  // Empty: read uploads from paths.storage_dir (same host). Otherwise the intake's
  // nginx base URL (http://host:port): archives are fetched through signed /archive/
  // links (key in paths.keys_dir/archive-link.key) and checked against size and SHA-256.
  std::string archive_url;
  uint32_t archive_link_ttl_s = 120;  // lifetime of one signed link
  uint32_t archive_fetch_timeout_s = 30;
};

struct WatchdogConfig {
  uint32_t interval_s = 5;
  uint32_t probe_timeout_ms = 2000;
  uint32_t probe_latency_max_ms = 1000;
  double psi_memory_some_max = 20.0;
  double psi_memory_full_max = 10.0;
  double psi_io_some_max = 40.0;
  double psi_io_full_max = 20.0;
  double psi_cpu_some_max = 90.0;
  std::string psi_dir = "/proc/pressure";
  std::string meminfo_path = "/proc/meminfo";
  uint64_t mem_available_min_bytes = 256ull << 20;
  double disk_free_min_percent = 10.0;
  uint32_t queue_depth_max = 200;
  uint32_t oldest_queued_max_s = 300;
  uint32_t heartbeat_max_age_s = 30;
  uint32_t for_s = 10;       // a check must be over threshold this long to fire
  uint32_t repeat_s = 1800;  // repeat interval while firing
  std::string webhook_url;   // empty: no webhook
  std::string webhook_template = R"({"text": "{{message}}"})";
  std::string command;                // run with the alert message on stdin; empty: none
  std::string sendmail_to;            // empty: no mail
  double http_5xx_max_percent = 5.0;  // of nginx requests in one cycle
  double http_429_max_percent = 20.0;
  uint32_t http_min_requests = 20;      // fewer requests in a cycle: rates not judged
  uint32_t delivery_timeout_ms = 5000;  // one webhook/sendmail/command attempt
  std::string action_command;           // run (sh -c) when a check fires; OJ_ALERT_CHECK set
  uint32_t action_cooldown_s = 600;     // per check, between two action runs
  // Event checks (a crash or restart seen since the last cycle) fire at once and
  // resolve after this long without a new event.
  uint32_t event_quiet_s = 60;
  // nginx connections still sending their request headers (stub_status "Reading");
  // a slow-loris holds many; honest clients send headers in one packet.
  uint32_t nginx_reading_max = 64;
};

// The outage ledger: what makes a minute "unavailable" and how big the
// local journals may grow while the database is down. See docs/operations.md.
struct LedgerConfig {
  uint64_t journal_max_bytes = 16ull << 20;  // per journal file; further records are dropped
  double probe_fail_percent = 0.0;   // minute unavailable when failed probes > this % (0: any)
  double upload_5xx_percent = 50.0;  // ... or when /upload 5xx answers >= this % of uploads
  uint32_t upload_min_requests = 3;  // ... counted only with at least this many uploads
};

// Grace after an outage: per-module policy off | suggest | auto lives in
// the database (`ojctl module set-grace`); these are the distances.
struct GraceConfig {
  uint32_t window_s = 86400;      // a deadline up to this long after an incident gets grace
  uint32_t settle_s = 60;         // an incident is over once intake is back this long
  uint32_t late_accept_s = 3600;  // refused earlier: first upload this long past it on time; 0=off
};

// The end-to-end canary (contract §6): the watchdog uploads each module's known-good
// archive (defined with `ojctl canary set`) through nginx and alerts on a refusal, a
// wrong verdict or a canary not judged in time. `ojctl canary set --interval/--target`
// override the first two per module.
struct CanaryConfig {
  uint32_t interval_s = 600;      // a canary per module this often; 0: this watchdog sends none
  uint32_t judge_target_s = 600;  // a canary not judged this long after its upload: alert
  uint32_t upload_timeout_ms = 10000;  // one canary upload through nginx
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct Config {
  ServerConfig server;
  PathsConfig paths;
  DatabaseConfig database;
  FcgiConfig fcgi;
  UploadConfig upload;
  RateConfig rate;
  RunnerConfig runner;
  WatchdogConfig watchdog;
  LedgerConfig ledger;
  GraceConfig grace;
  CanaryConfig canary;
  LogConfig log;
  std::string source_path;  // the file this came from (empty for defaults)
};

// Parses TOML text. base_dir resolves relative paths. Unknown keys, wrong
// types and out-of-range values are errors naming the key and the reason.
Result<Config> ParseConfig(const std::string& toml_text, const std::string& base_dir);
// Reads and parses the file at path; relative paths resolve against its directory.
Result<Config> LoadConfig(const std::string& path);
// Checks cross-key rules (e.g. nonzero pool size); ParseConfig calls it.
Status ValidateConfig(const Config& c);
// The scheme, host and port students reach the server at: server.public_url, or
// http://<listen>:<port> when that is empty. No trailing slash.
std::string PublicBaseUrl(const Config& c);

}  // namespace oj
