#include "core/archive_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

namespace oj {

Result<StoredArchive> LoadStoredArchive(Database& db, const std::string& submission_id) {
  StoredArchive a;
  Status s = db.Run("load stored archive", [&]() -> Status {
    auto& st = db.Prepare("SELECT storage_key, size_bytes, sha256 FROM submissions WHERE id = ?");
    st.setString(1, submission_id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (!rs->next()) return Status::NotFound("submission " + submission_id + " not found");
    a.storage_key = rs->getString(1);
    a.size_bytes = rs->getUInt64(2);
    a.sha256 = rs->getString(3);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return a;
}

}  // namespace oj
