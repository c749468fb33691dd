#include "core/db.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>

#include "core/db_tls.h"

namespace oj {
namespace {

// Client error codes meaning the connection is gone (errmsg.h) or the server
// refuses work for now.
bool IsConnectionLost(int code) {
  return code == 2002 || code == 2003 || code == 2006 || code == 2013 || code == 2055 ||
         code == 1053 || code == 1927 || code == 4031;
}

bool IsRetryableTransaction(int code) { return code == 1213 || code == 1205; }

}  // namespace

Database::Database(DatabaseConfig cfg) : cfg_(std::move(cfg)) {}

Database::~Database() { Disconnect(); }

void Database::Disconnect() {
  statements_.clear();
  if (conn_) {
    try {
      conn_->close();
    } catch (const sql::SQLException&) {
      // Already gone; nothing to do.
    }
  }
  conn_.reset();
}

Status Database::Connect() {
  if (conn_) return Status::Ok();
  try {
    sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
    sql::ConnectOptionsMap opts;
    if (!cfg_.socket.empty()) {
      opts["hostName"] = sql::SQLString("unix://" + cfg_.socket);
    } else {
      opts["hostName"] = sql::SQLString("tcp://" + cfg_.host + ":" + std::to_string(cfg_.port));
    }
    opts["userName"] = sql::SQLString(cfg_.user);
    opts["password"] = sql::SQLString(cfg_.password);
    opts["schema"] = sql::SQLString(cfg_.name);
    opts["OPT_CONNECT_TIMEOUT"] = static_cast<int>(cfg_.connect_timeout_s);
    opts["OPT_READ_TIMEOUT"] = static_cast<int>(cfg_.read_timeout_s);
    opts["OPT_WRITE_TIMEOUT"] = static_cast<int>(cfg_.read_timeout_s);
    opts["OPT_RECONNECT"] = false;
    opts["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    DatabaseTlsOptions tls = TlsOptionsFor(cfg_);
    if (tls.enabled) {
      opts["sslEnforce"] = true;
      opts["sslVerify"] = tls.verify_server;
      if (!tls.ca.empty()) opts["sslCA"] = sql::SQLString(tls.ca);
      if (!tls.cert.empty()) opts["sslCert"] = sql::SQLString(tls.cert);
      if (!tls.key.empty()) opts["sslKey"] = sql::SQLString(tls.key);
    }
    conn_.reset(driver->connect(opts));
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    st->execute("SET time_zone = '+00:00'");
    // A lock wait must end, as an error we can retry, before our read timeout drops
    // the connection: a dropped client leaves its server-side statement waiting with
    // every lock its transaction holds.
    st->execute("SET SESSION innodb_lock_wait_timeout = " +
                std::to_string(std::max<uint32_t>(1, cfg_.read_timeout_s / 2)));
  } catch (const sql::SQLException& e) {
    conn_.reset();
    return Status::Unavailable(
        "cannot connect to database '" + cfg_.name + "' at " +
        (cfg_.socket.empty() ? cfg_.host + ":" + std::to_string(cfg_.port) : cfg_.socket) +
        (cfg_.tls_mode == "off" ? "" : " (tls_mode " + cfg_.tls_mode + ")") + ": " + e.what());
  }
  return Status::Ok();
}

Status Database::MapError(const sql::SQLException& e, const std::string& what) {
  int code = e.getErrorCode();
  std::string msg = what + " failed: " + e.what() + " (error " + std::to_string(code) + ")";
  if (IsConnectionLost(code) || code == 0) {
    Disconnect();
    return Status::Unavailable(msg);
  }
  if (IsRetryableTransaction(code)) return Status::Aborted(msg);
  return Status::Internal(msg);
}

Status Database::Ping() {
  return Run("ping", [&] {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT 1"));
    return Status::Ok();
  });
}

Result<std::string> Database::SessionCipher() {
  std::string cipher;
  Status s = Run("session cipher", [&] {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'"));
    if (rs->next()) cipher = rs->getString(2);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return cipher;
}

Status Database::Run(const std::string& what, const std::function<Status()>& body) {
  // One reconnect attempt: a connection idle past wait_timeout fails on first use.
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status s = Connect();
    if (!s.ok()) return s;
    try {
      return body();
    } catch (const sql::SQLException& e) {
      s = MapError(e, what);
      if (s.code() != Status::Code::kUnavailable || attempt == 1) return s;
    }
  }
  return Status::Unavailable(what + ": database unreachable");
}

Status Database::Transaction(const std::string& what, const std::function<Status()>& body,
                             bool read_committed) {
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    bool began = false;
    last = Run(what, [&]() -> Status {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      if (read_committed) st->execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
      conn_->setAutoCommit(false);
      began = true;
      Status s = body();
      if (s.ok()) {
        conn_->commit();
      } else {
        conn_->rollback();
      }
      conn_->setAutoCommit(true);
      return s;
    });
    if (began && conn_ && !last.ok()) {
      try {
        conn_->rollback();
        conn_->setAutoCommit(true);
      } catch (const sql::SQLException&) {
        Disconnect();
      }
    }
    if (last.code() != Status::Code::kAborted) return last;
  }
  return last;
}

sql::PreparedStatement& Database::Prepare(const std::string& query) {
  auto it = statements_.find(query);
  if (it != statements_.end()) return *it->second;
  std::unique_ptr<sql::PreparedStatement> st(conn_->prepareStatement(query));
  auto& ref = *st;
  statements_.emplace(query, std::move(st));
  return ref;
}

void Database::ExecuteScript(const std::string& script) {
  // Statements end with ';' at the end of a line; "--" lines are comments. Our
  // migrations are written that way, so no SQL lexer is needed.
  std::unique_ptr<sql::Statement> st(conn_->createStatement());
  std::string current;
  size_t pos = 0;
  while (pos < script.size()) {
    size_t eol = script.find('\n', pos);
    if (eol == std::string::npos) eol = script.size();
    std::string line = script.substr(pos, eol - pos);
    pos = eol + 1;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
    current += line + "\n";
    size_t last = line.find_last_not_of(" \t\r");
    if (line[last] == ';') {
      st->execute(current);
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) st->execute(current);
}

}  // namespace oj
