// The database layer: one MariaDB/MySQL connection per process (Connector/C++ 1.1),
// prepared statements cached per connection, reconnect after a lost connection.
// sql::SQLException never leaves core/: callers get a Status whose code says how to
// retry (kUnavailable: connection lost or refused; kAborted: deadlock or lock timeout).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/status.h"

namespace sql {
class Connection;
class PreparedStatement;
class SQLException;
}  // namespace sql

namespace oj {

class Database {
 public:
  explicit Database(DatabaseConfig cfg);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Connects if not connected. Cheap when already connected.
  Status Connect();
  // Round trip to the server ("SELECT 1"); reconnects first if needed.
  Status Ping();
  void Disconnect();
  // The TLS cipher of this session (SHOW SESSION STATUS LIKE 'Ssl_cipher'); "" when
  // the connection is not encrypted.
  Result<std::string> SessionCipher();
  bool connected() const { return conn_ != nullptr; }

  // Runs body; on an SQLException maps it to a Status (dropping the connection if it
  // was lost). body may return its own non-ok Status.
  Status Run(const std::string& what, const std::function<Status()>& body);
  // Runs body inside a transaction (READ COMMITTED when read_committed), committing
  // when it returns ok and rolling back otherwise. Retries deadlocks up to 3 times.
  Status Transaction(const std::string& what, const std::function<Status()>& body,
                     bool read_committed = false);

  // A cached prepared statement for this connection. REQUIRES: inside Run/Transaction.
  sql::PreparedStatement& Prepare(const std::string& query);
  // Executes a multi-statement script (migrations). REQUIRES: inside Run.
  void ExecuteScript(const std::string& script);
  sql::Connection& connection() { return *conn_; }

  Status MapError(const sql::SQLException& e, const std::string& what);

 private:
  DatabaseConfig cfg_;
  std::unique_ptr<sql::Connection> conn_;
  std::map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
};

}  // namespace oj
