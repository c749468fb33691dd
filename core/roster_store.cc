#include "core/roster_store.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <unordered_map>

#include "core/ids.h"

namespace oj {
namespace {

constexpr int kDuplicateKey = 1062;
constexpr int kTokenAttempts = 5;

bool IsTokenCollision(const sql::SQLException& e) {
  return e.getErrorCode() == kDuplicateKey &&
         std::string(e.what()).find("uq_students_token") != std::string::npos;
}

// Runs stmt with a fresh token in parameter token_index until no other student
// holds it (a collision is about 1 in 10^14 per token, but it must not fail an import).
std::string ExecuteWithFreshToken(sql::PreparedStatement& st, int token_index) {
  for (int attempt = 1;; ++attempt) {
    std::string token = NewToken();
    st.setString(token_index, token);
    try {
      st.executeUpdate();
      return token;
    } catch (const sql::SQLException& e) {
      if (!IsTokenCollision(e) || attempt == kTokenAttempts) throw;
    }
  }
}

const char kStudentSelect[] =
    "SELECT s.id, c.code, s.student_no, s.name, s.token, s.enabled FROM students s "
    "JOIN courses c ON c.id = s.course_id ";

StudentInfo ReadStudent(sql::ResultSet& rs) {
  return {rs.getUInt(1),   rs.getString(2), rs.getString(3),
          rs.getString(4), rs.getString(5), rs.getBoolean(6)};
}

std::string Describe(const StudentRef& ref) {
  if (!ref.token.empty()) return "token '" + ref.token + "'";
  return "student '" + ref.student_no + "' in course '" + ref.course + "'";
}

// REQUIRES: inside Run/Transaction. Locks the row when for_update.
Result<StudentInfo> Lookup(Database& db, const StudentRef& ref, bool for_update) {
  std::string lock = for_update ? " FOR UPDATE" : "";
  std::unique_ptr<sql::ResultSet> rs;
  if (!ref.token.empty()) {
    auto& st = db.Prepare(kStudentSelect + std::string("WHERE s.token = ?") + lock);
    st.setString(1, ref.token);
    rs.reset(st.executeQuery());
  } else {
    auto& st =
        db.Prepare(kStudentSelect + std::string("WHERE c.code = ? AND s.student_no = ?") + lock);
    st.setString(1, ref.course);
    st.setString(2, ref.student_no);
    rs.reset(st.executeQuery());
  }
  if (!rs->next()) {
    return Status::NotFound("no " + Describe(ref) + "; see `ojctl token export --course C`");
  }
  return ReadStudent(*rs);
}

}  // namespace

Result<RosterImportResult> ImportRoster(Database& db, uint32_t course_id,
                                        const std::vector<RosterStudent>& roster) {
  RosterImportResult out;
  Status s = db.Transaction("roster import", [&] {
    out = {};
    // Lock the course's existing students so two imports cannot interleave.
    std::unordered_map<std::string, std::pair<uint32_t, std::string>> existing;
    auto& sel =
        db.Prepare("SELECT id, student_no, name FROM students WHERE course_id = ? FOR UPDATE");
    sel.setUInt(1, course_id);
    std::unique_ptr<sql::ResultSet> rs(sel.executeQuery());
    while (rs->next()) existing[rs->getString(2)] = {rs->getUInt(1), rs->getString(3)};
    auto& ins = db.Prepare(
        "INSERT INTO students (course_id, student_no, name, token, enabled) VALUES (?, ?, ?, ?, "
        "1)");
    auto& upd = db.Prepare("UPDATE students SET name = ? WHERE id = ?");
    for (const RosterStudent& r : roster) {
      auto it = existing.find(r.student_no);
      if (it == existing.end()) {
        ins.setUInt(1, course_id);
        ins.setString(2, r.student_no);
        ins.setString(3, r.name);
        ExecuteWithFreshToken(ins, 4);
        ++out.added;
      } else if (it->second.second != r.name) {
        upd.setString(1, r.name);
        upd.setUInt(2, it->second.first);
        upd.executeUpdate();
        ++out.renamed;
      } else {
        ++out.unchanged;
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<StudentInfo> FindStudent(Database& db, const StudentRef& ref) {
  Result<StudentInfo> out = Status::Internal("unset");
  Status s = db.Run("find student", [&] {
    out = Lookup(db, ref, false);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<StudentInfo> SetTokenEnabled(Database& db, const StudentRef& ref, bool enabled) {
  Result<StudentInfo> out = Status::Internal("unset");
  Status s = db.Transaction("set token enabled", [&] {
    out = Lookup(db, ref, true);
    if (!out.ok()) return out.status();
    auto& st = db.Prepare("UPDATE students SET enabled = ? WHERE id = ?");
    st.setBoolean(1, enabled);
    st.setUInt(2, out->id);
    st.executeUpdate();
    out->enabled = enabled;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<StudentInfo> RotateToken(Database& db, const StudentRef& ref) {
  Result<StudentInfo> out = Status::Internal("unset");
  Status s = db.Transaction("rotate token", [&] {
    out = Lookup(db, ref, true);
    if (!out.ok()) return out.status();
    auto& st = db.Prepare("UPDATE students SET token = ? WHERE id = ?");
    st.setUInt(2, out->id);
    out->token = ExecuteWithFreshToken(st, 1);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace oj
