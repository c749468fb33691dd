#include "core/receipt_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

namespace oj {

Result<ReceiptCheck> LookupReceiptSubmission(Database& db, const std::string& id) {
  ReceiptCheck c;
  Status s = db.Run("look up receipt submission", [&] {
    auto& st = db.Prepare(
        "SELECT s.sha256, s.status, c.code, m.code, t.token FROM submissions s "
        "JOIN modules m ON m.id = s.module_id JOIN courses c ON c.id = m.course_id "
        "JOIN students t ON t.id = s.student_id WHERE s.id = ?");
    st.setString(1, id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (rs->next()) {
      c.exists = true;
      c.sha256 = rs->getString(1);
      c.status = rs->getString(2);
      c.course = rs->getString(3);
      c.module = rs->getString(4);
      c.token = rs->getString(5);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return c;
}

}  // namespace oj
