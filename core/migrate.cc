#include "core/migrate.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "core/fs.h"

namespace oj {

Result<std::vector<MigrationFile>> ListMigrations(const std::string& sql_dir) {
  std::vector<MigrationFile> out;
  std::error_code ec;
  static const std::regex kName(R"(^(\d{4})_[a-z0-9_]+\.sql$)");
  for (const auto& e : std::filesystem::directory_iterator(sql_dir, ec)) {
    std::string name = e.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, kName)) continue;
    out.push_back({std::stoi(m[1].str()), name, e.path().string()});
  }
  if (ec) return Status::NotFound("cannot list migrations in " + sql_dir + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const MigrationFile& a, const MigrationFile& b) { return a.version < b.version; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      return Status::InvalidArgument("two migrations share version " +
                                     std::to_string(out[i].version) + ": " + out[i - 1].name +
                                     " and " + out[i].name);
    }
  }
  return out;
}

Result<std::vector<std::string>> Migrate(Database& db, const std::string& sql_dir) {
  auto files = ListMigrations(sql_dir);
  if (!files.ok()) return files.status();
  std::vector<std::string> applied;
  std::set<int> done;
  Status s = db.Run("read schema_version", [&] {
    db.ExecuteScript(
        "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL PRIMARY KEY, "
        "name VARCHAR(255) NOT NULL, applied_at DATETIME(6) NOT NULL) ENGINE=InnoDB "
        "DEFAULT CHARSET=utf8mb4;");
    std::unique_ptr<sql::ResultSet> rs(
        db.Prepare("SELECT version FROM schema_version").executeQuery());
    while (rs->next()) done.insert(rs->getInt(1));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  for (const MigrationFile& f : *files) {
    if (done.count(f.version)) continue;
    auto text = ReadSmallFile(f.path, 4 << 20);
    if (!text.ok()) return text.status();
    // DDL commits implicitly in MySQL, so each file must be idempotent on its own
    // (CREATE ... IF NOT EXISTS); the version row is written after it succeeds.
    s = db.Run("apply " + f.name, [&] {
      db.ExecuteScript(*text);
      auto& st = db.Prepare(
          "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, UTC_TIMESTAMP(6))");
      st.setInt(1, f.version);
      st.setString(2, f.name);
      st.executeUpdate();
      return Status::Ok();
    });
    if (!s.ok()) return s;
    applied.push_back(f.name);
  }
  return applied;
}

}  // namespace oj
