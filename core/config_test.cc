#include "core/config.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

TEST(ConfigTest, ExampleFileHasExactlyTheDefaults) {
  auto loaded = LoadConfig(std::string(OJ_SOURCE_DIR) + "/ops/oj.example.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto defaults = ParseConfig("", std::string(OJ_SOURCE_DIR) + "/ops");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  const Config& a = *loaded;
  const Config& b = *defaults;
  EXPECT_EQ(a.server.port, b.server.port);
  EXPECT_EQ(a.server.listen, b.server.listen);
  EXPECT_EQ(a.server.metrics_allow, b.server.metrics_allow);
  EXPECT_EQ(a.server.archive_allow, b.server.archive_allow);
  EXPECT_EQ(a.database.replica_host, b.database.replica_host);
  EXPECT_EQ(a.database.replica_port, b.database.replica_port);
  EXPECT_EQ(a.database.replica_socket, b.database.replica_socket);
  EXPECT_EQ(a.database.replica_max_lag_s, b.database.replica_max_lag_s);
  EXPECT_EQ(a.database.tls_mode, b.database.tls_mode);
  EXPECT_EQ(a.database.tls_ca, b.database.tls_ca);
  EXPECT_EQ(a.database.tls_cert, b.database.tls_cert);
  EXPECT_EQ(a.database.tls_key, b.database.tls_key);
  EXPECT_EQ(a.runner.archive_url, b.runner.archive_url);
  EXPECT_EQ(a.runner.archive_link_ttl_s, b.runner.archive_link_ttl_s);
  EXPECT_EQ(a.runner.archive_fetch_timeout_s, b.runner.archive_fetch_timeout_s);
  EXPECT_EQ(a.paths.storage_dir, b.paths.storage_dir);
  EXPECT_EQ(a.fcgi.workers, b.fcgi.workers);
  EXPECT_EQ(a.fcgi.socket, b.fcgi.socket);
  EXPECT_EQ(a.upload.max_body_bytes, b.upload.max_body_bytes);
  EXPECT_EQ(a.upload.token_limit, b.upload.token_limit);
  EXPECT_EQ(a.upload.idempotency_window_s, b.upload.idempotency_window_s);
  EXPECT_EQ(a.upload.receipts, b.upload.receipts);
  EXPECT_EQ(a.paths.keys_dir, b.paths.keys_dir);
  EXPECT_EQ(a.rate.page_burst, b.rate.page_burst);
  EXPECT_EQ(a.rate.microcache_s, b.rate.microcache_s);
  EXPECT_EQ(a.runner.lease_s, b.runner.lease_s);
  EXPECT_DOUBLE_EQ(a.runner.psi_memory_max, b.runner.psi_memory_max);
  EXPECT_EQ(a.watchdog.for_s, b.watchdog.for_s);
  EXPECT_EQ(a.watchdog.webhook_template, b.watchdog.webhook_template);
  EXPECT_DOUBLE_EQ(a.watchdog.http_5xx_max_percent, b.watchdog.http_5xx_max_percent);
  EXPECT_DOUBLE_EQ(a.watchdog.http_429_max_percent, b.watchdog.http_429_max_percent);
  EXPECT_EQ(a.watchdog.http_min_requests, b.watchdog.http_min_requests);
  EXPECT_EQ(a.watchdog.delivery_timeout_ms, b.watchdog.delivery_timeout_ms);
  EXPECT_EQ(a.watchdog.action_command, b.watchdog.action_command);
  EXPECT_EQ(a.watchdog.action_cooldown_s, b.watchdog.action_cooldown_s);
  EXPECT_EQ(a.ledger.journal_max_bytes, b.ledger.journal_max_bytes);
  EXPECT_DOUBLE_EQ(a.ledger.probe_fail_percent, b.ledger.probe_fail_percent);
  EXPECT_DOUBLE_EQ(a.ledger.upload_5xx_percent, b.ledger.upload_5xx_percent);
  EXPECT_EQ(a.ledger.upload_min_requests, b.ledger.upload_min_requests);
  EXPECT_EQ(a.grace.window_s, b.grace.window_s);
  EXPECT_EQ(a.grace.settle_s, b.grace.settle_s);
  EXPECT_EQ(a.grace.late_accept_s, b.grace.late_accept_s);
  EXPECT_EQ(a.canary.interval_s, b.canary.interval_s);
  EXPECT_EQ(a.canary.judge_target_s, b.canary.judge_target_s);
  EXPECT_EQ(a.canary.upload_timeout_ms, b.canary.upload_timeout_ms);
  EXPECT_EQ(a.watchdog.event_quiet_s, b.watchdog.event_quiet_s);
  EXPECT_EQ(a.watchdog.nginx_reading_max, b.watchdog.nginx_reading_max);
  EXPECT_EQ(a.log.level, b.log.level);
}

TEST(ConfigTest, DefaultsMatchTheSpec) {
  auto c = ParseConfig("", "/srv");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.listen, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->upload.max_body_bytes, 12u * 1024 * 1024);
  EXPECT_EQ(c->paths.storage_dir, "/srv/var/storage");
}

struct BadCase {
  const char* toml;
  const char* must_mention;
};

TEST(ConfigTest, BadInputNamesTheKeyAndReason) {
  const BadCase cases[] = {
      {"[server]\nprot = 8080\n", "server.prot"},
      {"[server]\nport = \"80\"\n", "server.port"},
      {"[server]\nport = 70000\n", "out of range"},
      {"[fcgi]\nworkers = 0\n", "fcgi.workers"},
      {"[upload]\nmax_body_bytes = -1\n", "upload.max_body_bytes"},
      {"[runner]\nexecutor = \"docker\"\n", "namespaces + cgroup"},  // removed: says why
      {"[runner]\nlease_s = 4\nheartbeat_s = 3\n", "runner.lease_s"},
      {"[log]\nlevel = \"loud\"\n", "log.level"},
      {"port = 1\n", "not a section"},
      {"[server\n", "not valid TOML"},
      {"[nosuch]\nkey = 1\n", "nosuch.key"},
      {"[server]\nmetrics_allow = [1]\n", "server.metrics_allow"},
      {"[server]\nmetrics_allow = [\"1.2.3.4; deny\"]\n", "server.metrics_allow"},
      {"[watchdog]\npsi_io_some_max = -3.0\n", "watchdog.psi_io_some_max"},
      {"[upload]\nreceipts = 1\n", "upload.receipts"},
      {"[database]\ntls_mode = \"yes\"\n", "database.tls_mode"},
      {"[database]\ntls_mode = \"verify\"\n", "database.tls_ca"},
      {"[database.replica]\nhots = \"x\"\n", "database.replica.hots"},
      {"[database.replica]\nport = 0\n", "database.replica.port"},
      {"[database.replica]\n[database.replica.more]\nx = 1\n", "database.replica.more"},
      {"[ledger]\nprobe_fail_percent = 100.0\n", "ledger.probe_fail_percent"},
      {"[ledger]\njournal_max_bytes = 10\n", "ledger.journal_max_bytes"},
      {"[grace]\nlate_accept_s = -1\n", "grace.late_accept_s"},
      {"[upload]\nidempotency_window_s = 0\n", "upload.idempotency_window_s"},
      {"[upload]\ndedup_window_s = 600\n", "Idempotency-Key"},  // removed: says why
      {"[runner]\nmax_internal_errors = 3\n", "self-test"},     // removed: says why
      {"[runner]\nbwrap_path = \"bwrap\"\n", "runner.bwrap_path"},
      {"[server]\npublic_url = \"oj.example.edu\"\n", "server.public_url"},
      {"[server]\npublic_url = \"https://oj.example.edu/\"\n", "no trailing"},
      {"[server]\npublic_url = \"https://\"\n", "server.public_url"},
      {"[server]\npublic_url = \"https://a.edu/x?y=1\"\n", "server.public_url"},
      {"[server]\npublic_url = \"https://a.edu/<script>\"\n", "server.public_url"},
      {"[server]\nnginx_user = \"root; daemon off\"\n", "server.nginx_user"},
      {"[fcgi]\nsocket_group = \"oj staff\"\n", "fcgi.socket_group"},
  };
  for (const BadCase& bc : cases) {
    auto c = ParseConfig(bc.toml, "/srv");
    ASSERT_FALSE(c.ok()) << bc.toml;
    EXPECT_NE(c.status().message().find(bc.must_mention), std::string::npos)
        << bc.toml << " -> " << c.status().message();
  }
}

TEST(ConfigTest, AConfigThatNamesTheNativeExecutorStillLoads) {
  // Every config copied from the example before the docker executor went has this line.
  EXPECT_TRUE(ParseConfig("[runner]\nexecutor = \"native\"\n", "/srv").ok());
}

TEST(ConfigTest, PublicUrlIsTheConfiguredOneOrListenAndPort) {
  struct Case {
    const char* toml;
    const char* want;
  } cases[] = {
      {"", "http://127.0.0.1:8080"},
      {"[server]\nlisten = \"0.0.0.0\"\nport = 80\n", "http://0.0.0.0:80"},
      {"[server]\npublic_url = \"https://oj.example.edu\"\n", "https://oj.example.edu"},
      {"[server]\npublic_url = \"http://198.18.0.1:8080/judge\"\n", "http://198.18.0.1:8080/judge"},
  };
  for (const Case& tc : cases) {
    auto c = ParseConfig(tc.toml, "/srv");
    ASSERT_TRUE(c.ok()) << tc.toml << c.status().ToString();
    EXPECT_EQ(PublicBaseUrl(*c), tc.want) << tc.toml;
  }
}

TEST(ConfigTest, ReplicaSectionSpellsTheFlatKeys) {
  auto nested = ParseConfig(
      "[database]\nsocket = \"run/db.sock\"\n[database.replica]\nhost = \"198.18.0.2\"\n"
      "port = 3307\nmax_lag_s = 5\n",
      "/srv");
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ(nested->database.socket, "/srv/run/db.sock");
  EXPECT_EQ(nested->database.replica_host, "198.18.0.2");
  EXPECT_EQ(nested->database.replica_port, 3307);
  EXPECT_EQ(nested->database.replica_max_lag_s, 5u);
  auto flat =
      ParseConfig("[database]\nreplica_host = \"198.18.0.2\"\nreplica_port = 3307\n", "/srv");
  ASSERT_TRUE(flat.ok()) << flat.status().ToString();
  EXPECT_EQ(flat->database.replica_host, "198.18.0.2");
  EXPECT_EQ(flat->database.replica_port, 3307);
}

TEST(ConfigTest, RelativePathsResolveAgainstTheConfigDirectory) {
  auto c = ParseConfig("[paths]\nstorage_dir = \"data/s\"\n[fcgi]\nsocket = \"/tmp/x.sock\"\n",
                       "/etc/oj");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->paths.storage_dir, "/etc/oj/data/s");
  EXPECT_EQ(c->fcgi.socket, "/tmp/x.sock");
  auto t = ParseConfig("[database]\ntls_mode = \"verify\"\ntls_ca = \"tls/ca.pem\"\n", "/etc/oj");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->database.tls_ca, "/etc/oj/tls/ca.pem");
}

TEST(ConfigTest, MissingFileSaysWhatToDo) {
  auto c = LoadConfig("/nonexistent/oj.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--config"), std::string::npos);
}

}  // namespace
}  // namespace oj
