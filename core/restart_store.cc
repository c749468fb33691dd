#include "core/restart_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <cstdlib>
#include <memory>

namespace oj {

Result<uint64_t> ReadDatabaseUptime(Database& db) {
  uint64_t uptime = 0;
  bool found = false;
  Status s = db.Run("read the database uptime", [&]() -> Status {
    auto& st = db.Prepare("SHOW GLOBAL STATUS LIKE 'Uptime'");
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (rs->next()) {
      uptime = std::strtoull(std::string(rs->getString(2)).c_str(), nullptr, 10);
      found = true;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!found) return Status::Internal("SHOW GLOBAL STATUS has no Uptime row");
  return uptime;
}

Result<std::vector<RunnerStart>> ReadRunnerStarts(Database& db, uint32_t max_rows) {
  std::vector<RunnerStart> out;
  Status s = db.Run("read runner starts", [&]() -> Status {
    auto& st = db.Prepare(
        "SELECT id, IFNULL(DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s.%f'), ''), "
        "IFNULL(pid, 0) FROM runners WHERE state <> 'disabled' ORDER BY id LIMIT ?");
    st.setUInt(1, max_rows);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      out.push_back(RunnerStart{std::string(rs->getString(1)), std::string(rs->getString(2)),
                                static_cast<uint32_t>(rs->getUInt(3))});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace oj
