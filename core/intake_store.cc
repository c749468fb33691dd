#include "core/intake_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "core/db_columns.h"

namespace oj {
namespace {}  // namespace

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
      m.opens_at = Time(*rs, "opens_at");
      m.deadline = Time(*rs, "deadline");
      m.late_until = OptTime(*rs, "late_until");
      m.closed = rs->getBoolean("closed");
      m.closed_at = OptTime(*rs, "closed_at");
      m.size_limit_bytes = rs->getUInt64("size_limit_bytes");
      m.supersede = rs->getBoolean("supersede");
      t.module = m;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return t;
}

Result<RecentUploads> LoadRecentUploads(Database& db, uint32_t student_id, uint32_t module_id,
                                        SysTime since) {
  RecentUploads r;
  Status s = db.Run("read the token's recent uploads", [&] {
    r = RecentUploads{};
    auto& st = db.Prepare(
        "SELECT COUNT(*), MIN(received_at) FROM submissions WHERE student_id = ? AND "
        "module_id = ? AND received_at >= ?");
    st.setUInt(1, student_id);
    st.setUInt(2, module_id);
    st.setString(3, FormatDbTime(since));
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (rs->next()) {
      r.count = rs->getUInt(1);
      if (!rs->isNull(2)) r.oldest = ParseDbTime(std::string(rs->getString(2)));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return r;
}

namespace {

// REQUIRES: inside Run or Transaction.
std::optional<KeyedUpload> ReadKeyedUpload(Database& db, uint32_t student_id,
                                           const IdempotencyKey& key) {
  auto& st = db.Prepare(
      "SELECT module_id, sha256, submission_id, created_at, answer FROM upload_keys "
      "WHERE student_id = ? AND idempotency_key = ? AND created_at >= ?");
  st.setUInt(1, student_id);
  st.setString(2, key.key);
  st.setString(3, FormatDbTime(key.valid_since));
  std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return std::nullopt;
  KeyedUpload k;
  k.module_id = rs->getUInt("module_id");
  k.sha256 = rs->getString("sha256");
  k.submission_id = rs->getString("submission_id");
  k.created_at = Time(*rs, "created_at");
  k.answer = rs->getString("answer");
  return k;
}

}  // namespace

Result<std::optional<KeyedUpload>> LookupIdempotencyKey(Database& db, uint32_t student_id,
                                                        const IdempotencyKey& key) {
  std::optional<KeyedUpload> found;
  Status s = db.Run("look up an Idempotency-Key", [&] {
    found = ReadKeyedUpload(db, student_id, key);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return found;
}

Result<InsertOutcome> InsertSubmission(Database& db, const NewSubmission& s,
                                       const std::optional<IdempotencyKey>& key,
                                       uint32_t recent_jobs, const AnswerBuilder& build_answer) {
  InsertOutcome out;
  Status st = db.Transaction(
      "store submission " + s.id,
      [&] {
        out = InsertOutcome{};
        auto& lock = db.Prepare("SELECT id FROM students WHERE id = ? FOR UPDATE");
        lock.setUInt(1, s.student_id);
        std::unique_ptr<sql::ResultSet> locked(lock.executeQuery());
        if (key) {
          // Read after the lock (READ COMMITTED: the latest commit): an upload with the
          // same key that held the lock before us has committed its row.
          out.earlier = ReadKeyedUpload(db, s.student_id, *key);
          if (out.earlier) return Status::Ok();  // commits nothing but the lock
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
            "INSERT INTO submissions (id, student_id, module_id, received_at, size_bytes, "
            "sha256, storage_key, late, status, client_ip, on_time_refused_at, canary) "
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
        QueueEstimate q;
        Status qs = ReadQueueEstimate(db, s.id, s.module_id, recent_jobs, &q);
        if (!qs.ok()) return qs;
        std::string answer = build_answer(q);
        if (key) {
          // The student's expired keys go first, so a key reused after its window is
          // recorded anew and the table keeps at most one window per student.
          auto& expire =
              db.Prepare("DELETE FROM upload_keys WHERE student_id = ? AND created_at < ?");
          expire.setUInt(1, s.student_id);
          expire.setString(2, FormatDbTime(key->valid_since));
          expire.executeUpdate();
          auto& rec = db.Prepare(
              "INSERT INTO upload_keys (student_id, idempotency_key, module_id, sha256, "
              "submission_id, created_at, answer) VALUES (?, ?, ?, ?, ?, ?, ?)");
          rec.setUInt(1, s.student_id);
          rec.setString(2, key->key);
          rec.setUInt(3, s.module_id);
          rec.setString(4, s.sha256);
          rec.setString(5, s.id);
          rec.setString(6, FormatDbTime(s.received_at));
          rec.setString(7, answer);
          rec.executeUpdate();
        }
        return Status::Ok();
      },
      /*read_committed=*/true);
  if (!st.ok()) return st;
  return out;
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
