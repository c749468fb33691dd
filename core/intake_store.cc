#include "core/intake_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

namespace oj {
namespace {

SysTime TimeCol(sql::ResultSet& rs, const char* col) {
  auto t = ParseDbTime(std::string(rs.getString(col)));
  return t.value_or(SysTime{});
}

std::optional<SysTime> OptTimeCol(sql::ResultSet& rs, const char* col) {
  if (rs.isNull(col)) return std::nullopt;
  return ParseDbTime(std::string(rs.getString(col)));
}

}  // namespace

Result<UploadTarget> LookupUploadTarget(Database& db, const std::string& token,
                                        const std::string& course, const std::string& module) {
  UploadTarget t;
  Status s = db.Run("look up token, course and module", [&] {
    auto& st = db.Prepare(
        "SELECT s.id AS sid, s.enabled AS senabled, s.course_id AS scourse, s.canary AS scanary, "
        "c.id AS cid, "
        "m.id AS mid, m.code AS mcode, m.opens_at, m.deadline, m.late_until, m.closed, "
        "m.closed_at, m.size_limit_bytes, m.supersede "
        "FROM (SELECT 1 AS one) d "
        "LEFT JOIN students s ON s.token = ? "
        "LEFT JOIN courses c ON c.code = ? "
        "LEFT JOIN modules m ON m.course_id = c.id AND m.code = ?");
    st.setString(1, token);
    st.setString(2, course);
    st.setString(3, module);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (!rs->next()) return Status::Internal("lookup returned no row");
    if (!rs->isNull("sid")) {
      t.token_found = true;
      t.student_id = rs->getUInt("sid");
      t.token_enabled = rs->getBoolean("senabled");
      t.student_course_id = rs->getUInt("scourse");
      t.canary = rs->getBoolean("scanary");
    }
    if (!rs->isNull("cid")) {
      t.course_found = true;
      t.course_id = rs->getUInt("cid");
    }
    if (!rs->isNull("mid")) {
      ModuleRow m;
      m.id = rs->getUInt("mid");
      m.code = rs->getString("mcode");
      m.opens_at = TimeCol(*rs, "opens_at");
      m.deadline = TimeCol(*rs, "deadline");
      m.late_until = OptTimeCol(*rs, "late_until");
      m.closed = rs->getBoolean("closed");
      m.closed_at = OptTimeCol(*rs, "closed_at");
      m.size_limit_bytes = rs->getUInt64("size_limit_bytes");
      m.supersede = rs->getBoolean("supersede");
      t.module = m;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return t;
}

namespace {

// When an upload retries an earlier one (DedupWindow), as a condition on a row of the
// same student and module. Parameters: sha256, since, request_began.
constexpr const char* kTwinCondition =
    "sha256 = ? AND (status IN ('queued', 'running') OR received_at >= ?) AND received_at < ?";

void BindTwinCondition(sql::PreparedStatement& st, int first, const std::string& sha256,
                       const DedupWindow& w) {
  st.setString(first, sha256);
  st.setString(first + 1, FormatDbTime(w.since));
  st.setString(first + 2, FormatDbTime(w.request_began));
}

// The newest twin received at twin_at (the rare path: only once a twin was seen).
std::optional<ExistingSubmission> LoadTwin(Database& db, uint32_t student_id, uint32_t module_id,
                                           const std::string& sha256, const std::string& twin_at) {
  auto& st = db.Prepare(
      "SELECT id, received_at, late FROM submissions WHERE student_id = ? AND module_id = ? "
      "AND received_at = ? AND sha256 = ? ORDER BY id DESC LIMIT 1");
  st.setUInt(1, student_id);
  st.setUInt(2, module_id);
  st.setString(3, twin_at);
  st.setString(4, sha256);
  std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return std::nullopt;
  ExistingSubmission e;
  e.id = rs->getString(1);
  e.received_at = ParseDbTime(std::string(rs->getString(2))).value_or(SysTime{});
  e.late = rs->getBoolean(3);
  return e;
}

}  // namespace

Result<UploadHistory> LoadUploadHistory(Database& db, uint32_t student_id, uint32_t module_id,
                                        const std::string& sha256, SysTime rate_since,
                                        const std::optional<DedupWindow>& dedup) {
  static const std::string kRecent =
      "SELECT COUNT(*), MIN(received_at), NULL FROM submissions WHERE student_id = ? AND "
      "module_id = ? AND received_at >= ?";
  // One pass over the student's history for the module, index-only on
  // ix_submissions_history; a subquery would cost its own optimization per upload.
  static const std::string kRecentAndTwin =
      "SELECT COUNT(CASE WHEN received_at >= ? THEN 1 END), "
      "MIN(CASE WHEN received_at >= ? THEN received_at END), "
      "MAX(CASE WHEN " +
      std::string(kTwinCondition) +
      " THEN received_at END) FROM submissions WHERE student_id = ? AND module_id = ?";
  UploadHistory h;
  Status s = db.Run("read the token's recent uploads", [&] {
    h = UploadHistory{};
    std::string since = FormatDbTime(rate_since);
    auto& st = db.Prepare(dedup ? kRecentAndTwin : kRecent);
    if (dedup) {
      st.setString(1, since);
      st.setString(2, since);
      BindTwinCondition(st, 3, sha256, *dedup);
      st.setUInt(6, student_id);
      st.setUInt(7, module_id);
    } else {
      st.setUInt(1, student_id);
      st.setUInt(2, module_id);
      st.setString(3, since);
    }
    std::optional<std::string> twin_at;
    {
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      if (rs->next()) {
        h.recent.count = rs->getUInt(1);
        if (!rs->isNull(2)) h.recent.oldest = ParseDbTime(std::string(rs->getString(2)));
        if (!rs->isNull(3)) twin_at = rs->getString(3);
      }
    }
    if (twin_at) h.duplicate = LoadTwin(db, student_id, module_id, sha256, *twin_at);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return h;
}

Result<std::optional<ExistingSubmission>> InsertSubmission(
    Database& db, const NewSubmission& s, const std::optional<DedupWindow>& dedup) {
  static const std::string kNewestTwin =
      "SELECT MAX(received_at) FROM submissions WHERE student_id = ? AND module_id = ? AND " +
      std::string(kTwinCondition);
  std::optional<ExistingSubmission> duplicate;
  Status st = db.Transaction("store submission " + s.id, [&] {
    duplicate.reset();
    auto& lock = db.Prepare("SELECT id FROM students WHERE id = ? FOR UPDATE");
    lock.setUInt(1, s.student_id);
    std::unique_ptr<sql::ResultSet> locked(lock.executeQuery());
    if (dedup) {
      // Read after the lock: a twin that held it while inserting has committed.
      auto& twin = db.Prepare(kNewestTwin);
      twin.setUInt(1, s.student_id);
      twin.setUInt(2, s.module_id);
      BindTwinCondition(twin, 3, s.sha256, *dedup);
      std::optional<std::string> twin_at;
      {
        std::unique_ptr<sql::ResultSet> rs(twin.executeQuery());
        if (rs->next() && !rs->isNull(1)) twin_at = rs->getString(1);
      }
      if (twin_at) duplicate = LoadTwin(db, s.student_id, s.module_id, s.sha256, *twin_at);
      if (duplicate) return Status::Ok();  // commits nothing but the lock
    }
    if (s.supersede) {
      auto& up = db.Prepare(
          "UPDATE submissions SET status = 'superseded', finished_at = ? "
          "WHERE student_id = ? AND module_id = ? AND status = 'queued'");
      up.setString(1, FormatDbTime(s.received_at));
      up.setUInt(2, s.student_id);
      up.setUInt(3, s.module_id);
      up.executeUpdate();
    }
    auto& ins = db.Prepare(
        "INSERT INTO submissions (id, student_id, module_id, received_at, size_bytes, sha256, "
        "storage_key, late, status, client_ip, on_time_refused_at, canary) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)");
    ins.setString(1, s.id);
    ins.setUInt(2, s.student_id);
    ins.setUInt(3, s.module_id);
    ins.setString(4, FormatDbTime(s.received_at));
    ins.setUInt64(5, s.size_bytes);
    ins.setString(6, s.sha256);
    ins.setString(7, s.storage_key);
    ins.setBoolean(8, s.late);
    ins.setString(9, s.client_ip);
    if (s.on_time_refused_at) {
      ins.setString(10, FormatDbTime(*s.on_time_refused_at));
    } else {
      ins.setNull(10, 0);
    }
    ins.setBoolean(11, s.canary);
    ins.executeUpdate();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return duplicate;
}

Result<bool> SubmissionExists(Database& db, const std::string& id) {
  bool found = false;
  Status s = db.Run("check submission " + id, [&] {
    auto& st = db.Prepare("SELECT 1 FROM submissions WHERE id = ?");
    st.setString(1, id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    found = rs->next();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return found;
}

}  // namespace oj
