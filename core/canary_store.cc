#include "core/canary_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <istream>
#include <memory>
#include <sstream>

#include "core/db_columns.h"
#include "core/ids.h"
#include "core/sha256.h"

namespace oj {
namespace {

const char kCanarySelect[] =
    "SELECT k.module_id, c.code AS course, m.code AS module, k.student_id, st.token, "
    "k.archive_sha256, LENGTH(k.archive) AS archive_bytes, k.expect_verdict, k.expect_score, "
    "k.interval_s, k.judge_target_s, k.enabled, k.updated_at "
    "FROM canaries k JOIN modules m ON m.id = k.module_id JOIN courses c ON c.id = m.course_id "
    "JOIN students st ON st.id = k.student_id ";

CanaryDef ReadDef(sql::ResultSet& rs) {
  CanaryDef d;
  d.module_id = rs.getUInt("module_id");
  d.course = rs.getString("course");
  d.module = rs.getString("module");
  d.student_id = rs.getUInt("student_id");
  d.token = rs.getString("token");
  d.archive_sha256 = rs.getString("archive_sha256");
  d.archive_bytes = rs.getUInt64("archive_bytes");
  d.expect.verdict = rs.getString("expect_verdict");
  if (!rs.isNull("expect_score"))
    d.expect.score = static_cast<double>(rs.getDouble("expect_score"));
  d.interval_s = OptU32(rs, "interval_s");
  d.judge_target_s = OptU32(rs, "judge_target_s");
  d.enabled = rs.getBoolean("enabled");
  d.updated_at = OptTime(rs, "updated_at").value_or(SysTime{});
  return d;
}

// REQUIRES: inside a transaction. The course's canary student, created if missing.
uint32_t CanaryStudent(Database& db, uint32_t course_id) {
  auto& sel =
      db.Prepare("SELECT id FROM students WHERE course_id = ? AND student_no = ? FOR UPDATE");
  sel.setUInt(1, course_id);
  sel.setString(2, kCanaryStudentNo);
  std::unique_ptr<sql::ResultSet> rs(sel.executeQuery());
  if (rs->next()) {
    uint32_t id = rs->getUInt(1);
    auto& flag = db.Prepare("UPDATE students SET canary = 1, enabled = 1 WHERE id = ?");
    flag.setUInt(1, id);
    flag.executeUpdate();
    return id;
  }
  auto& taken = db.Prepare("SELECT 1 FROM students WHERE token = ?");
  std::string token;
  for (int attempt = 0; attempt < 5; ++attempt) {  // 62^8 tokens: a clash is a curiosity
    token = NewToken();
    taken.setString(1, token);
    std::unique_ptr<sql::ResultSet> t(taken.executeQuery());
    if (!t->next()) break;
  }
  auto& ins = db.Prepare(
      "INSERT INTO students (course_id, student_no, name, token, enabled, canary) "
      "VALUES (?, ?, 'canary (oj-watchdog)', ?, 1, 1)");
  ins.setUInt(1, course_id);
  ins.setString(2, kCanaryStudentNo);
  ins.setString(3, token);
  ins.executeUpdate();
  std::unique_ptr<sql::ResultSet> id(db.Prepare("SELECT LAST_INSERT_ID()").executeQuery());
  id->next();
  return id->getUInt(1);
}

void SetOptU32(sql::PreparedStatement& st, int i, std::optional<uint32_t> v) {
  if (v && *v > 0) {
    st.setUInt(i, *v);
  } else {
    st.setNull(i, 0);
  }
}

}  // namespace

Result<std::vector<CanaryDef>> ListCanaries(Database& db, const std::string& course) {
  std::vector<CanaryDef> out;
  Status s = db.Run("list canaries", [&] {
    std::string q = kCanarySelect + std::string(course.empty() ? "" : "WHERE c.code = ? ") +
                    "ORDER BY c.code, m.code";
    auto& st = db.Prepare(q);
    if (!course.empty()) st.setString(1, course);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) out.push_back(ReadDef(*rs));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::string> LoadCanaryArchive(Database& db, uint32_t module_id) {
  std::string bytes;
  bool found = false;
  Status s = db.Run("load canary archive", [&] {
    auto& st = db.Prepare("SELECT archive FROM canaries WHERE module_id = ?");
    st.setUInt(1, module_id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (!rs->next()) return Status::Ok();
    found = true;
    std::unique_ptr<std::istream> in(rs->getBlob(1));
    if (in) {
      std::ostringstream os;
      os << in->rdbuf();
      bytes = os.str();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!found) return Status::NotFound("the module has no canary");
  return bytes;
}

Result<std::vector<CanaryRun>> RecentCanaryRuns(Database& db, uint32_t student_id,
                                                uint32_t module_id, SysTime since, uint32_t limit) {
  std::vector<CanaryRun> out;
  Status s = db.Run("read canary submissions", [&] {
    auto& st = db.Prepare(
        "SELECT id, received_at, status, verdict, score, finished_at FROM submissions "
        "WHERE student_id = ? AND module_id = ? AND received_at >= ? "
        "ORDER BY received_at DESC LIMIT ?");
    st.setUInt(1, student_id);
    st.setUInt(2, module_id);
    st.setString(3, FormatDbTime(since));
    st.setUInt(4, limit);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      CanaryRun r;
      r.id = rs->getString("id");
      r.received_at = OptTime(*rs, "received_at").value_or(SysTime{});
      r.status = rs->getString("status");
      if (!rs->isNull("verdict")) r.verdict = std::string(rs->getString("verdict"));
      if (!rs->isNull("score")) r.score = static_cast<double>(rs->getDouble("score"));
      r.finished_at = OptTime(*rs, "finished_at");
      out.push_back(std::move(r));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<CanaryDef> SetCanary(Database& db, const CanarySpec& spec) {
  if (spec.archive && spec.archive->size() > kMaxCanaryArchiveBytes) {
    return Status::InvalidArgument(
        "the canary archive has " + std::to_string(spec.archive->size()) + " bytes; at most " +
        std::to_string(kMaxCanaryArchiveBytes) + " (a small known-good solution)");
  }
  if (spec.archive && spec.archive->empty()) {
    return Status::InvalidArgument("the canary archive is empty");
  }
  Status s = db.Transaction("canary set " + spec.course + "/" + spec.module, [&] {
    auto& mod = db.Prepare(
        "SELECT m.id, c.id, m.size_limit_bytes FROM modules m JOIN courses c ON c.id = "
        "m.course_id WHERE c.code = ? AND m.code = ?");
    mod.setString(1, spec.course);
    mod.setString(2, spec.module);
    std::unique_ptr<sql::ResultSet> rs(mod.executeQuery());
    if (!rs->next()) {
      return Status::NotFound("no module '" + spec.module + "' in course '" + spec.course +
                              "'; see `ojctl module list " + spec.course + "`");
    }
    uint32_t module_id = rs->getUInt(1);
    uint32_t course_id = rs->getUInt(2);
    uint64_t size_limit = rs->getUInt64(3);
    if (spec.archive && spec.archive->size() > size_limit) {
      return Status::InvalidArgument("the canary archive (" + std::to_string(spec.archive->size()) +
                                     " bytes) is over the module's size limit (" +
                                     std::to_string(size_limit) + "): /upload would refuse it");
    }
    auto& cur = db.Prepare("SELECT 1 FROM canaries WHERE module_id = ? FOR UPDATE");
    cur.setUInt(1, module_id);
    std::unique_ptr<sql::ResultSet> existing(cur.executeQuery());
    bool exists = existing->next();
    if (!exists && (!spec.archive || !spec.expect)) {
      return Status::InvalidArgument(
          "a new canary needs --archive FILE and --expect VERDICT[/SCORE]");
    }
    uint32_t student_id = CanaryStudent(db, course_id);
    if (!exists) {
      std::istringstream blob(*spec.archive);
      auto& ins = db.Prepare(
          "INSERT INTO canaries (module_id, student_id, archive, archive_sha256, expect_verdict, "
          "expect_score, interval_s, judge_target_s, enabled, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))");
      ins.setUInt(1, module_id);
      ins.setUInt(2, student_id);
      ins.setBlob(3, &blob);
      ins.setString(4, Sha256Hex(*spec.archive));
      ins.setString(5, spec.expect->verdict);
      if (spec.expect->score) {
        ins.setDouble(6, *spec.expect->score);
      } else {
        ins.setNull(6, 0);
      }
      SetOptU32(ins, 7, spec.interval_s);
      SetOptU32(ins, 8, spec.judge_target_s);
      ins.setBoolean(9, spec.enabled.value_or(true));
      ins.executeUpdate();
      return Status::Ok();
    }
    // Changing what is sent or expected starts a new definition: older runs no longer
    // count (updated_at). Timing and on/off keep the history.
    bool new_version = spec.archive || spec.expect;
    if (spec.archive) {
      std::istringstream blob(*spec.archive);
      auto& up =
          db.Prepare("UPDATE canaries SET archive = ?, archive_sha256 = ? WHERE module_id = ?");
      up.setBlob(1, &blob);
      up.setString(2, Sha256Hex(*spec.archive));
      up.setUInt(3, module_id);
      up.executeUpdate();
    }
    if (spec.expect) {
      auto& up = db.Prepare(
          "UPDATE canaries SET expect_verdict = ?, expect_score = ? WHERE module_id = ?");
      up.setString(1, spec.expect->verdict);
      if (spec.expect->score) {
        up.setDouble(2, *spec.expect->score);
      } else {
        up.setNull(2, 0);
      }
      up.setUInt(3, module_id);
      up.executeUpdate();
    }
    if (spec.interval_s) {
      auto& up = db.Prepare("UPDATE canaries SET interval_s = ? WHERE module_id = ?");
      SetOptU32(up, 1, spec.interval_s);
      up.setUInt(2, module_id);
      up.executeUpdate();
    }
    if (spec.judge_target_s) {
      auto& up = db.Prepare("UPDATE canaries SET judge_target_s = ? WHERE module_id = ?");
      SetOptU32(up, 1, spec.judge_target_s);
      up.setUInt(2, module_id);
      up.executeUpdate();
    }
    if (spec.enabled) {
      auto& up = db.Prepare("UPDATE canaries SET enabled = ? WHERE module_id = ?");
      up.setBoolean(1, *spec.enabled);
      up.setUInt(2, module_id);
      up.executeUpdate();
    }
    auto& touch = db.Prepare(
        "UPDATE canaries SET student_id = ?, updated_at = IF(?, UTC_TIMESTAMP(6), updated_at) "
        "WHERE module_id = ?");
    touch.setUInt(1, student_id);
    touch.setBoolean(2, new_version);
    touch.setUInt(3, module_id);
    touch.executeUpdate();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  auto all = ListCanaries(db, spec.course);
  if (!all.ok()) return all.status();
  for (CanaryDef& d : *all) {
    if (d.module == spec.module) return d;
  }
  return Status::Internal("the canary just written is not there");
}

Status RemoveCanary(Database& db, const std::string& course, const std::string& module) {
  bool removed = false;
  Status s = db.Run("canary remove " + course + "/" + module, [&] {
    auto& st = db.Prepare(
        "DELETE k FROM canaries k JOIN modules m ON m.id = k.module_id JOIN courses c ON "
        "c.id = m.course_id WHERE c.code = ? AND m.code = ?");
    st.setString(1, course);
    st.setString(2, module);
    removed = st.executeUpdate() > 0;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!removed) return Status::NotFound("no canary for " + course + "/" + module);
  return Status::Ok();
}

}  // namespace oj
