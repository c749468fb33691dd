// Schema migrations: sql/NNNN_name.sql applied in order, each recorded in
// schema_version so a second run applies nothing.
#pragma once

#include <string>
#include <vector>

#include "core/db.h"

namespace oj {

struct MigrationFile {
  int version = 0;
  std::string name;  // file name, e.g. 0001_init.sql
  std::string path;
};

// Lists sql_dir's NNNN_name.sql files sorted by version; duplicate versions are an error.
Result<std::vector<MigrationFile>> ListMigrations(const std::string& sql_dir);
// Applies the pending migrations; returns the names applied (empty when up to date).
Result<std::vector<std::string>> Migrate(Database& db, const std::string& sql_dir);

}  // namespace oj
