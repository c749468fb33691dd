#include "core/staff_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <array>
#include <map>

#include "core/db_columns.h"
#include "domain/submission_status.h"

namespace oj {
namespace {

const char kSummaryColumns[] =
    "SELECT s.id, c.code, m.code, st.student_no, st.token, s.received_at, s.size_bytes, s.late, "
    "s.status, s.verdict, s.score, s.max_score";
const char kSummaryJoins[] =
    " FROM submissions s JOIN students st ON st.id = s.student_id JOIN modules m ON m.id = "
    "s.module_id JOIN courses c ON c.id = m.course_id";

SubmissionSummary ReadSummary(sql::ResultSet& rs) {
  SubmissionSummary s;
  s.id = rs.getString(1);
  s.course = rs.getString(2);
  s.module = rs.getString(3);
  s.student_no = rs.getString(4);
  s.token = rs.getString(5);
  s.received_at = Time(rs, 6);
  s.size_bytes = rs.getUInt64(7);
  s.late = rs.getBoolean(8);
  s.status = rs.getString(9);
  s.verdict = OptString(rs, 10);
  s.score = OptDouble(rs, 11);
  s.max_score = OptDouble(rs, 12);
  return s;
}

// REQUIRES: inside Run/Transaction. Module id for (course, module) or NotFound.
Result<uint32_t> ModuleId(Database& db, const std::string& course, const std::string& module) {
  auto& st = db.Prepare(
      "SELECT m.id FROM modules m JOIN courses c ON c.id = m.course_id WHERE c.code = ? AND "
      "m.code = ?");
  st.setString(1, course);
  st.setString(2, module);
  std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) {
    return Status::NotFound("no module '" + module + "' in course '" + course +
                            "'; see `ojctl module list " + course + "`");
  }
  return rs->getUInt(1);
}

}  // namespace

bool IsSubmissionStatus(const std::string& s) { return ParseSubmissionStatus(s).has_value(); }

Result<std::vector<SubmissionSummary>> ListSubmissions(Database& db, const SubmissionFilter& f) {
  if (!f.status.empty() && !IsSubmissionStatus(f.status)) {
    return Status::InvalidArgument("unknown status '" + f.status +
                                   "'; one of queued running done superseded cancelled "
                                   "judge_error");
  }
  if (!f.module.empty() && f.course.empty()) {
    return Status::InvalidArgument("--module needs --course");
  }
  std::string where = " WHERE 1=1";
  if (!f.course.empty()) where += " AND c.code = ?";
  if (!f.module.empty()) where += " AND m.code = ?";
  if (!f.token.empty()) where += " AND st.token = ?";
  if (!f.status.empty()) where += " AND s.status = ?";
  if (f.since) where += " AND s.received_at >= ?";
  if (f.until) where += " AND s.received_at < ?";
  std::string q = kSummaryColumns + std::string(kSummaryJoins) + where +
                  " ORDER BY s.received_at DESC, s.id LIMIT ?";
  std::vector<SubmissionSummary> out;
  Status s = db.Run("list submissions", [&] {
    auto& st = db.Prepare(q);
    int i = 1;
    if (!f.course.empty()) st.setString(i++, f.course);
    if (!f.module.empty()) st.setString(i++, f.module);
    if (!f.token.empty()) st.setString(i++, f.token);
    if (!f.status.empty()) st.setString(i++, f.status);
    if (f.since) st.setString(i++, FormatDbTime(*f.since));
    if (f.until) st.setString(i++, FormatDbTime(*f.until));
    st.setUInt(i, std::min(f.limit, kMaxListLimit));
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) out.push_back(ReadSummary(*rs));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<SubmissionDetail> ShowSubmission(Database& db, const std::string& id) {
  SubmissionDetail d;
  bool found = false;
  Status s = db.Run("show submission " + id, [&] {
    auto& st = db.Prepare(kSummaryColumns +
                          std::string(", st.name, s.sha256, s.storage_key, s.attempts, "
                                      "s.runner_id, s.lease_until, s.started_at, s.finished_at, "
                                      "s.log, s.log_truncated, s.cpu_ms, s.wall_ms, "
                                      "s.peak_memory_kb, s.client_ip") +
                          kSummaryJoins + " WHERE s.id = ?");
    st.setString(1, id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (!rs->next()) return Status::Ok();
    found = true;
    d.summary = ReadSummary(*rs);
    d.name = rs->getString(13);
    d.sha256 = rs->getString(14);
    d.storage_key = rs->getString(15);
    d.attempts = rs->getUInt(16);
    d.runner_id = OptString(*rs, 17);
    d.lease_until = OptTime(*rs, 18);
    d.started_at = OptTime(*rs, 19);
    d.finished_at = OptTime(*rs, 20);
    d.log = OptString(*rs, 21);
    d.log_truncated = rs->getBoolean(22);
    d.cpu_ms = OptU64(*rs, 23);
    d.wall_ms = OptU64(*rs, 24);
    d.peak_memory_kb = OptU64(*rs, 25);
    d.client_ip = rs->getString(26);
    auto& tr = db.Prepare(
        "SELECT seq, name, passed, score, max_score, message, time_ms, memory_kb FROM "
        "test_results WHERE submission_id = ? ORDER BY seq");
    tr.setString(1, id);
    std::unique_ptr<sql::ResultSet> trs(tr.executeQuery());
    while (trs->next()) {
      TestResult t;
      t.seq = trs->getUInt(1);
      t.name = trs->getString(2);
      t.passed = trs->getBoolean(3);
      t.score = OptDouble(*trs, 4);
      t.max_score = OptDouble(*trs, 5);
      t.message = OptString(*trs, 6);
      t.time_ms = OptU64(*trs, 7);
      t.memory_kb = OptU64(*trs, 8);
      d.tests.push_back(std::move(t));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!found) return Status::NotFound("no submission '" + id + "'; see `ojctl sub list`");
  return d;
}

Result<QueueOverview> ReadQueueOverview(Database& db) {
  QueueOverview q;
  Status s = db.Run("read queue", [&] {
    q = {};
    std::map<std::string, uint64_t> counts;
    for (const auto& [status, name] : kSubmissionStatusNames) counts[std::string(name)] = 0;
    std::unique_ptr<sql::ResultSet> rs(
        db.Prepare("SELECT status, COUNT(*) FROM submissions WHERE canary = 0 GROUP BY status")
            .executeQuery());
    while (rs->next()) counts[rs->getString(1)] = rs->getUInt64(2);
    for (const auto& [status, name] : kSubmissionStatusNames) {
      q.depth.emplace_back(std::string(name), counts[std::string(name)]);
    }
    rs.reset(db.Prepare("SELECT UTC_TIMESTAMP(6), (SELECT MIN(received_at) FROM submissions "
                        "WHERE status = 'queued' AND canary = 0)")
                 .executeQuery());
    if (rs->next()) {
      q.now = Time(*rs, 1);
      q.oldest_queued = OptTime(*rs, 2);
    }
    rs.reset(db.Prepare("SELECT s.id, c.code, m.code, s.runner_id, s.started_at, s.lease_until" +
                        std::string(" FROM submissions s JOIN modules m ON m.id = s.module_id "
                                    "JOIN courses c ON c.id = m.course_id WHERE s.status = "
                                    "'running' ORDER BY s.started_at LIMIT 100"))
                 .executeQuery());
    while (rs->next()) {
      q.running.push_back({rs->getString(1), rs->getString(2), rs->getString(3), OptString(*rs, 4),
                           OptTime(*rs, 5), OptTime(*rs, 6)});
    }
    rs.reset(db.Prepare("SELECT id, host, slot, state, reason, submission_id, heartbeat_at, "
                        "internal_errors FROM runners ORDER BY host, slot LIMIT 1000")
                 .executeQuery());
    while (rs->next()) {
      RunnerRow r;
      r.id = rs->getString(1);
      r.host = rs->getString(2);
      r.slot = rs->getUInt(3);
      r.state = rs->getString(4);
      r.reason = rs->getString(5);
      r.submission_id = OptString(*rs, 6);
      r.heartbeat_at = Time(*rs, 7);
      r.internal_errors = rs->getUInt(8);
      q.runners.push_back(std::move(r));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return q;
}

Result<std::vector<std::string>> Rejudge(Database& db, const RejudgeSelection& sel) {
  std::vector<std::string> ids;
  Status s = db.Transaction("rejudge", [&] {
    ids.clear();
    if (!sel.id.empty()) {
      auto& st = db.Prepare("SELECT status FROM submissions WHERE id = ? FOR UPDATE");
      st.setString(1, sel.id);
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      if (!rs->next()) return Status::NotFound("no submission '" + sel.id + "'");
      std::string status = rs->getString(1);
      if (status == "queued" || status == "running") {
        return Status::FailedPrecondition("submission " + sel.id + " is " + status +
                                          " already; it will be judged (cancel it first to "
                                          "stop that)");
      }
      ids.push_back(sel.id);
    } else {
      std::string q = "SELECT s.id FROM submissions s";
      std::optional<uint32_t> module_id;
      if (!sel.module.empty()) {
        auto mid = ModuleId(db, sel.course, sel.module);
        if (!mid.ok()) return mid.status();
        module_id = *mid;
      }
      q += sel.judge_errors ? " WHERE s.status = 'judge_error'"
                            : " WHERE s.status IN ('done', 'judge_error')";
      // Old canaries sent back to the queue would read as canaries waiting past their
      // target and fire the canary alert; the next canary tests the fixed judge anyway.
      q += " AND s.canary = 0";
      if (module_id) {
        q += " AND s.module_id = ?";
      } else if (!sel.course.empty()) {
        q += " AND s.module_id IN (SELECT m.id FROM modules m JOIN courses c ON c.id = "
             "m.course_id WHERE c.code = ?)";
      } else if (!sel.judge_errors) {
        return Status::InvalidArgument("rejudge needs an ID, --module C/M or --judge-errors");
      }
      q += " ORDER BY s.received_at FOR UPDATE";
      auto& st = db.Prepare(q);
      if (module_id) {
        st.setUInt(1, *module_id);
      } else if (!sel.course.empty()) {
        st.setString(1, sel.course);
      }
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      while (rs->next()) ids.push_back(rs->getString(1));
    }
    auto& del = db.Prepare("DELETE FROM test_results WHERE submission_id = ?");
    auto& upd = db.Prepare(
        "UPDATE submissions SET status = 'queued', attempts = 0, runner_id = NULL, "
        "lease_until = NULL, started_at = NULL, finished_at = NULL, verdict = NULL, score = "
        "NULL, max_score = NULL, log = NULL, log_truncated = 0, cpu_ms = NULL, wall_ms = NULL, "
        "peak_memory_kb = NULL WHERE id = ?");
    for (const std::string& id : ids) {
      del.setString(1, id);
      del.executeUpdate();
      upd.setString(1, id);
      upd.executeUpdate();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return ids;
}

Status CancelSubmission(Database& db, const std::string& id) {
  return db.Transaction("cancel " + id, [&] {
    auto& sel = db.Prepare("SELECT status FROM submissions WHERE id = ? FOR UPDATE");
    sel.setString(1, id);
    std::unique_ptr<sql::ResultSet> rs(sel.executeQuery());
    if (!rs->next()) return Status::NotFound("no submission '" + id + "'");
    std::string status = rs->getString(1);
    if (status != "queued") {
      return Status::FailedPrecondition("submission " + id + " is " + status +
                                        "; only queued submissions can be cancelled");
    }
    auto& upd = db.Prepare(
        "UPDATE submissions SET status = 'cancelled', finished_at = UTC_TIMESTAMP(6) WHERE id = "
        "? AND status = 'queued'");
    upd.setString(1, id);
    if (upd.executeUpdate() != 1) return Status::Aborted("submission " + id + " changed; retry");
    return Status::Ok();
  });
}

Status ExportScores(Database& db, const std::string& course, const std::string& module,
                    const std::function<void(const ScoreRow&)>& row) {
  return db.Run("export scores", [&] {
    auto mid = ModuleId(db, course, module);
    if (!mid.ok()) return mid.status();
    auto& st = db.Prepare(
        "SELECT st.student_no, st.name, s.id, s.status, s.score, s.max_score, s.late FROM "
        "students st JOIN modules m ON m.course_id = st.course_id AND m.id = ? LEFT JOIN "
        "submissions s ON s.student_id = st.id AND s.module_id = m.id WHERE st.canary = 0 "
        "ORDER BY st.student_no, s.received_at, s.id");
    st.setUInt(1, *mid);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    std::optional<ScoreRow> cur;
    while (rs->next()) {
      std::string no = rs->getString(1);
      if (!cur || cur->student_no != no) {
        if (cur) row(*cur);
        cur = ScoreRow{};
        cur->student_no = no;
        cur->name = rs->getString(2);
      }
      if (rs->isNull(3)) continue;  // no submissions
      std::string status = rs->getString(4);
      if (status == "cancelled") continue;
      ++cur->submissions;
      auto score = OptDouble(*rs, 5);
      bool late = rs->getBoolean(7);
      if (status != "superseded") {
        cur->latest_id = rs->getString(3);
        cur->latest_status = status;
        cur->latest_score = status == "done" ? score : std::nullopt;
        cur->latest_late = late;
      }
      if (status == "done" && score && (!cur->best_score || *score > *cur->best_score)) {
        cur->best_score = score;
        cur->max_score = OptDouble(*rs, 6);
        cur->best_late = late;
      }
    }
    if (cur) row(*cur);
    return Status::Ok();
  });
}

Status PatchModule(Database& db, const std::string& course, const std::string& module,
                   const ModulePatch& p) {
  return db.Transaction("module set " + course + "/" + module, [&] {
    auto mid = ModuleId(db, course, module);
    if (!mid.ok()) return mid.status();
    auto& sel = db.Prepare(
        "SELECT title, opens_at, deadline, late_until, size_limit_bytes, judge_dir, supersede, "
        "closed, closed_at FROM modules WHERE id = ? FOR UPDATE");
    sel.setUInt(1, *mid);
    std::unique_ptr<sql::ResultSet> rs(sel.executeQuery());
    if (!rs->next()) return Status::NotFound("module vanished");
    std::string title = p.title.value_or(rs->getString(1));
    SysTime opens = p.opens_at.value_or(Time(*rs, 2));
    SysTime deadline = p.deadline.value_or(Time(*rs, 3));
    std::optional<SysTime> late = p.late_until ? *p.late_until : OptTime(*rs, 4);
    uint64_t size = p.size_limit_bytes.value_or(rs->getUInt64(5));
    std::string judge_dir = p.judge_dir.value_or(rs->getString(6));
    bool supersede = p.supersede.value_or(rs->getBoolean(7));
    bool closed = p.closed.value_or(rs->getBoolean(8));
    bool closing_now = p.closed && *p.closed;
    bool keep_closed_at = !p.closed && closed;
    if (deadline < opens) {
      return Status::InvalidArgument("the deadline " + FormatDisplayTime(deadline) +
                                     " would be before the opening " + FormatDisplayTime(opens));
    }
    if (late && *late < deadline) {
      return Status::InvalidArgument("the late window would end (" + FormatDisplayTime(*late) +
                                     ") before the deadline " + FormatDisplayTime(deadline));
    }
    if (size == 0) return Status::InvalidArgument("the size limit must be at least 1 byte");
    auto& upd = db.Prepare(
        "UPDATE modules SET title = ?, opens_at = ?, deadline = ?, late_until = ?, "
        "size_limit_bytes = ?, judge_dir = ?, supersede = ?, closed = ?, closed_at = "
        "CASE WHEN ? THEN UTC_TIMESTAMP(6) WHEN ? THEN closed_at ELSE NULL END WHERE id = ?");
    upd.setString(1, title);
    upd.setString(2, FormatDbTime(opens));
    upd.setString(3, FormatDbTime(deadline));
    if (late) {
      upd.setString(4, FormatDbTime(*late));
    } else {
      upd.setNull(4, 0);
    }
    upd.setUInt64(5, size);
    upd.setString(6, judge_dir);
    upd.setBoolean(7, supersede);
    upd.setBoolean(8, closed);
    upd.setBoolean(9, closing_now);
    upd.setBoolean(10, keep_closed_at);
    upd.setUInt(11, *mid);
    upd.executeUpdate();
    return Status::Ok();
  });
}

}  // namespace oj
