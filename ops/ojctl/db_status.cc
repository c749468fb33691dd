// ojctl db status: where this host's programs read and write. For the
// primary and the replica: the address, the server version and the TLS cipher of our
// own session (SHOW SESSION STATUS LIKE 'Ssl_cipher', "" when not encrypted); for the
// replica its replication state; and which server ojctl's reports read. Read-only.
#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/replica.h"
#include "ops/ojctl/cli.h"

namespace oj::ctl {
namespace {

using nlohmann::json;

std::string Address(const DatabaseConfig& c) {
  return c.socket.empty() ? c.host + ":" + std::to_string(c.port) : "unix:" + c.socket;
}

struct Session {
  std::string version, cipher;
};

Result<Session> Describe(Database& db) {
  Session s;
  Status st = db.Run("server version", [&] {
    std::unique_ptr<sql::Statement> q(db.connection().createStatement());
    std::unique_ptr<sql::ResultSet> rs(q->executeQuery("SELECT VERSION()"));
    if (rs->next()) s.version = rs->getString(1);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  auto cipher = db.SessionCipher();
  if (!cipher.ok()) return cipher.status();
  s.cipher = *cipher;
  return s;
}

std::string TlsText(const std::string& cipher) {
  return cipher.empty() ? "not encrypted" : "TLS " + cipher;
}

int DbStatus(Cli& cli) {
  const DatabaseConfig& cfg = cli.cfg.database;
  auto primary = Describe(cli.db());
  if (!primary.ok()) return Fail(primary.status());
  json j{{"primary",
          {{"address", Address(cfg)},
           {"server_version", primary->version},
           {"tls_mode", cfg.tls_mode},
           {"tls_cipher", primary->cipher}}}};
  std::string reads = "primary", why = "no replica configured";
  std::string replica_line = "not configured";
  auto rc = ReplicaDatabaseConfig(cfg);
  json rj{{"configured", rc.has_value()}};
  if (rc) {
    rc->connect_timeout_s = std::min<uint32_t>(rc->connect_timeout_s, 2);
    Database replica(*rc);
    ReplicaState st = ReadReplicaState(replica);
    why = ReplicaUnusableReason(st, cfg.replica_max_lag_s);
    if (why.empty()) reads = "replica";
    std::string cipher;
    if (auto c = st.reachable ? replica.SessionCipher() : Result<std::string>(""); c.ok()) {
      cipher = *c;
    }
    rj.update({{"address", Address(*rc)},
               {"reachable", st.reachable},
               {"io_running", st.io_running},
               {"sql_running", st.sql_running},
               {"seconds_behind", st.seconds_behind ? json(*st.seconds_behind) : json(nullptr)},
               {"max_lag_s", cfg.replica_max_lag_s},
               {"usable", why.empty()},
               {"reason", why},
               {"tls_cipher", cipher}});
    replica_line =
        Address(*rc) + ", " +
        (why.empty() ? "replicating, " + std::to_string(*st.seconds_behind) + " s behind (max " +
                           std::to_string(cfg.replica_max_lag_s) + " s)"
                     : "NOT USED: " + why) +
        (st.reachable ? ", " + TlsText(cipher) : "");
  }
  j["replica"] = rj;
  j["reads"] = reads;
  if (cli.json) {
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "primary:  " << Address(cfg) << ", " << primary->version << ", "
            << TlsText(primary->cipher) << "\n"
            << "replica:  " << replica_line << "\n";
  std::cout << "reports read from: " << reads << "\n";
  return kExitOk;
}

}  // namespace

void AddDbStatusCommand(CLI::App& db, Cli& cli) {
  auto* status =
      db.add_subcommand("status",
                        "primary and replica: address, version, TLS cipher of this session, "
                        "replication state, and where reports read");
  status->callback([&cli] { cli.run = [&cli] { return DbStatus(cli); }; });
}

}  // namespace oj::ctl
