#include "core/admin_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "core/ids.h"

namespace oj {

Result<std::vector<CourseRow>> ListCourses(Database& db) {
  std::vector<CourseRow> out;
  Status s = db.Run("list courses", [&] {
    std::unique_ptr<sql::ResultSet> rs(
        db.Prepare("SELECT id, code, title FROM courses ORDER BY code").executeQuery());
    while (rs->next()) out.push_back({rs->getUInt(1), rs->getString(2), rs->getString(3)});
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<CourseRow>> FindCourse(Database& db, const std::string& code) {
  std::optional<CourseRow> out;
  Status s = db.Run("find course", [&] {
    auto& st = db.Prepare("SELECT id, code, title FROM courses WHERE code = ?");
    st.setString(1, code);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (rs->next()) out = CourseRow{rs->getUInt(1), rs->getString(2), rs->getString(3)};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<uint32_t> UpsertCourse(Database& db, const std::string& code, const std::string& title) {
  if (!IsValidCode(code)) {
    return Status::InvalidArgument("course code '" + code + "' must be 1-32 of [A-Za-z0-9_-]");
  }
  uint32_t id = 0;
  Status s = db.Run("upsert course " + code, [&] {
    auto& ins = db.Prepare(
        "INSERT INTO courses (code, title) VALUES (?, ?) ON DUPLICATE KEY UPDATE title = "
        "IF(VALUES(title) = '', title, VALUES(title))");
    ins.setString(1, code);
    ins.setString(2, title);
    ins.executeUpdate();
    auto& sel = db.Prepare("SELECT id FROM courses WHERE code = ?");
    sel.setString(1, code);
    std::unique_ptr<sql::ResultSet> rs(sel.executeQuery());
    if (!rs->next()) return Status::Internal("course vanished after insert");
    id = rs->getUInt(1);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Status UpsertModule(Database& db, const ModuleSpec& m) {
  if (!IsValidCode(m.code)) {
    return Status::InvalidArgument("module code '" + m.code + "' must be 1-32 of [A-Za-z0-9_-]");
  }
  auto course = FindCourse(db, m.course);
  if (!course.ok()) return course.status();
  if (!*course)
    return Status::NotFound("no course '" + m.course + "'; add it with `ojctl course add`");
  return db.Run("upsert module " + m.code, [&] {
    auto& st = db.Prepare(
        "INSERT INTO modules (course_id, code, title, opens_at, deadline, late_until, "
        "size_limit_bytes, judge_dir, supersede) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE title = VALUES(title), opens_at = VALUES(opens_at), "
        "deadline = VALUES(deadline), late_until = VALUES(late_until), "
        "size_limit_bytes = VALUES(size_limit_bytes), judge_dir = VALUES(judge_dir), "
        "supersede = VALUES(supersede)");
    st.setUInt(1, (*course)->id);
    st.setString(2, m.code);
    st.setString(3, m.title);
    st.setString(4, FormatDbTime(m.opens_at));
    st.setString(5, FormatDbTime(m.deadline));
    if (m.late_until) {
      st.setString(6, FormatDbTime(*m.late_until));
    } else {
      st.setNull(6, 0);
    }
    st.setUInt64(7, m.size_limit_bytes);
    st.setString(8, m.judge_dir);
    st.setBoolean(9, m.supersede);
    st.executeUpdate();
    return Status::Ok();
  });
}

Result<std::string> EnsureStudent(Database& db, uint32_t course_id, const std::string& student_no,
                                  const std::string& name) {
  std::string token;
  Status s = db.Run("ensure student " + student_no, [&] {
    auto& sel = db.Prepare("SELECT token FROM students WHERE course_id = ? AND student_no = ?");
    sel.setUInt(1, course_id);
    sel.setString(2, student_no);
    std::unique_ptr<sql::ResultSet> rs(sel.executeQuery());
    if (rs->next()) {
      token = rs->getString(1);
      return Status::Ok();
    }
    auto& ins = db.Prepare(
        "INSERT INTO students (course_id, student_no, name, token, enabled) VALUES (?, ?, ?, ?, "
        "1)");
    token = NewToken();
    ins.setUInt(1, course_id);
    ins.setString(2, student_no);
    ins.setString(3, name);
    ins.setString(4, token);
    ins.executeUpdate();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return token;
}

Result<std::vector<ModuleListRow>> ListModules(Database& db, const std::string& course) {
  std::vector<ModuleListRow> out;
  Status s = db.Run("list modules", [&] {
    auto& st = db.Prepare(
        "SELECT m.code, m.title, m.opens_at, m.deadline, m.late_until, m.closed, "
        "m.size_limit_bytes, m.judge_dir, m.supersede, m.grace_policy FROM modules m "
        "JOIN courses c ON c.id = m.course_id WHERE c.code = ? ORDER BY m.code");
    st.setString(1, course);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      ModuleListRow m;
      m.code = rs->getString(1);
      m.title = rs->getString(2);
      m.opens_at = ParseDbTime(std::string(rs->getString(3))).value_or(SysTime{});
      m.deadline = ParseDbTime(std::string(rs->getString(4))).value_or(SysTime{});
      if (!rs->isNull(5)) m.late_until = ParseDbTime(std::string(rs->getString(5)));
      m.closed = rs->getBoolean(6);
      m.size_limit_bytes = rs->getUInt64(7);
      m.judge_dir = rs->getString(8);
      m.supersede = rs->getBoolean(9);
      m.grace_policy = rs->getString(10);
      out.push_back(std::move(m));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<StudentRow>> ListStudents(Database& db, uint32_t course_id) {
  std::vector<StudentRow> out;
  Status s = db.Run("list students", [&] {
    auto& st = db.Prepare(
        "SELECT id, student_no, name, token, enabled FROM students WHERE course_id = ? "
        "AND canary = 0 ORDER BY student_no");
    st.setUInt(1, course_id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      out.push_back({rs->getUInt(1), rs->getString(2), rs->getString(3), rs->getString(4),
                     rs->getBoolean(5)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status Audit(Database& db, const std::string& actor, const std::string& action,
             const std::string& target, const std::string& detail) {
  return db.Run("audit " + action, [&] {
    auto& st = db.Prepare(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (UTC_TIMESTAMP(6), ?, "
        "?, ?, ?)");
    st.setString(1, actor);
    st.setString(2, action);
    st.setString(3, target);
    st.setString(4, detail);
    st.executeUpdate();
    return Status::Ok();
  });
}

}  // namespace oj
