#include "core/results_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>

#include "core/db_columns.h"
#include "domain/submission_status.h"

namespace oj {
namespace {

// The queue figures, shared by the page and the upload's answer (X-OJ-Queue-Position,
// X-OJ-ETA-Seconds) so the two agree. Queue positions count queued rows of every
// token by (received_at, id), a range scan on ix_submissions_queue. The watchdog's
// canary submissions (submissions.canary) count in no queue figure.
const std::string kRunningJobs =
    "(SELECT COUNT(*) FROM submissions r WHERE r.status = 'running' AND r.canary = 0)";
const std::string kActiveRunners =
    "(SELECT COUNT(*) FROM runners WHERE state <> 'disabled' AND "
    "heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL 60 SECOND)";
const std::string kAhead =
    "CASE WHEN s.status = 'queued' THEN (SELECT COUNT(*) FROM submissions q WHERE "
    "q.status = 'queued' AND q.canary = 0 AND (q.received_at < s.received_at OR "
    "(q.received_at = s.received_at AND q.id < s.id))) END";

// target: the (student, module) the URL names, if the token is enabled and enrolled
// in that course; at most one row (token, course code and module code are unique).
// The outer query lists that student's submissions for the module, newest first; a
// LEFT JOIN keeps the header row when there are none.
const std::string kResultsQuery =
    "WITH target AS ("
    "  SELECT st.id AS student_id, m.id AS module_id, c.code AS course_code,"
    "         c.title AS course_title, m.code AS module_code, m.title AS module_title,"
    "         m.deadline, m.late_until, m.closed, m.closed_at"
    "  FROM students st"
    "  JOIN courses c ON c.id = st.course_id"
    "  JOIN modules m ON m.course_id = c.id"
    "  WHERE st.token = ? AND st.enabled = 1 AND c.code = ? AND m.code = ?"
    ") "
    "SELECT t.module_id, t.course_code, t.course_title, t.module_code, t.module_title, "
    "  t.deadline, t.late_until, t.closed, t.closed_at, " +
    kRunningJobs + " AS running_jobs, " + kActiveRunners +
    " AS active_runners, "
    "  s.id, s.received_at, s.size_bytes, s.sha256, s.status, s.late, s.started_at,"
    "  s.finished_at, s.verdict, s.score, s.max_score, LEFT(s.log, ?) AS log, s.log_truncated,"
    "  s.on_time_refused_at, " +
    kAhead +
    " AS ahead "
    "FROM target t "
    "LEFT JOIN submissions s ON s.student_id = t.student_id AND s.module_id = t.module_id "
    "ORDER BY s.received_at DESC, s.id DESC "
    "LIMIT ?";

// One submission's place in the queue, for the upload's answer.
const std::string kQueueQuery = "SELECT " + kAhead + " AS ahead, " + kRunningJobs +
                                " AS running_jobs, " + kActiveRunners +
                                " AS active_runners FROM submissions s WHERE s.id = ?";

// Kept out of kResultsQuery on purpose: GROUP_CONCAT and JSON_ARRAYAGG in its subqueries
// crashed MariaDB 10.11.19 (signal 11 in ha_maria::drop_table, cleaning up a failed
// internal temporary table for Item_func_group_concat::setup) under a deadline page flush
// with concurrent uploads (ops/loadtest/storm; docs/benchmarks.md). Plain rows need no
// temporary table. Recent durations are the module's own (its judge sets the pace), newest
// first on ix_submissions_module.
constexpr char kRecentQuery[] = R"SQL(
SELECT TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) DIV 1000 AS ms
FROM submissions
WHERE module_id = ? AND status = 'done' AND canary = 0
  AND started_at IS NOT NULL AND finished_at IS NOT NULL
ORDER BY received_at DESC LIMIT ?
)SQL";

constexpr char kTestsQuery[] = R"SQL(
SELECT seq, name, passed, score, max_score, LEFT(message, ?) AS message
FROM test_results WHERE submission_id = ? ORDER BY seq
)SQL";

// REQUIRES: inside db.Run.
std::vector<int64_t> RecentDurations(Database& db, uint32_t module_id, uint32_t jobs) {
  std::vector<int64_t> out;
  auto& recent = db.Prepare(kRecentQuery);
  recent.setUInt(1, module_id);
  recent.setUInt(2, jobs);
  std::unique_ptr<sql::ResultSet> rr(recent.executeQuery());
  while (rr->next()) out.push_back(rr->getInt64("ms"));
  return out;
}

}  // namespace

bool TruncateUtf8(std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return false;
  size_t cut = max_bytes;
  // Step back over continuation bytes so the sequence that straddles the cut goes whole.
  size_t back = 0;
  while (cut > 0 && back < 3 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
    --cut;
    ++back;
  }
  if (back == 3 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) cut = max_bytes;
  s.resize(cut);
  return true;
}

Result<ResultsPageData> LoadResults(Database& db, const std::string& token,
                                    const std::string& course, const std::string& module,
                                    const ResultsLimits& limits) {
  ResultsPageData page;
  bool found = false;
  uint32_t module_id = 0;
  Status s = db.Run("load results for " + token, [&] {
    auto& st = db.Prepare(kResultsQuery);
    st.setString(1, token);
    st.setString(2, course);
    st.setString(3, module);
    st.setUInt(4, limits.max_log_bytes + 1);  // one more, to tell a cut log
    st.setUInt(5, limits.max_submissions);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      if (!found) {
        found = true;
        module_id = rs->getUInt("module_id");
        page.course_code = rs->getString("course_code");
        page.course_title = rs->getString("course_title");
        page.module_code = rs->getString("module_code");
        page.module_title = rs->getString("module_title");
        page.deadline = OptTime(*rs, "deadline").value_or(SysTime{});
        page.late_until = OptTime(*rs, "late_until");
        page.closed = rs->getBoolean("closed");
        page.closed_at = OptTime(*rs, "closed_at");
        page.running_jobs = rs->getUInt64("running_jobs");
        page.active_runners = rs->getUInt64("active_runners");
      }
      if (rs->isNull("id")) continue;  // the header row of a token with no submissions
      ResultsSubmission sub;
      sub.id = rs->getString("id");
      sub.received_at = OptTime(*rs, "received_at").value_or(SysTime{});
      sub.size_bytes = rs->getUInt64("size_bytes");
      sub.sha256 = rs->getString("sha256");
      sub.status = rs->getString("status");
      sub.late = rs->getBoolean("late");
      sub.on_time_refused_at = OptTime(*rs, "on_time_refused_at");
      sub.started_at = OptTime(*rs, "started_at");
      sub.finished_at = OptTime(*rs, "finished_at");
      if (!rs->isNull("verdict")) sub.verdict = std::string(rs->getString("verdict"));
      sub.score = OptDouble(*rs, "score");
      sub.max_score = OptDouble(*rs, "max_score");
      if (!rs->isNull("log")) sub.log = std::string(rs->getString("log"));
      sub.log_truncated = rs->getBoolean("log_truncated");
      if (sub.log && TruncateUtf8(*sub.log, limits.max_log_bytes)) sub.log_truncated = true;
      if (!rs->isNull("ahead")) sub.queue_ahead = rs->getUInt64("ahead");
      page.submissions.push_back(std::move(sub));
    }
    if (!found) return Status::Ok();
    page.recent_durations_ms = RecentDurations(db, module_id, limits.recent_jobs);
    auto& tq = db.Prepare(kTestsQuery);
    for (ResultsSubmission& sub : page.submissions) {  // at most max_submissions, by key
      if (sub.status == Name(SubmissionStatus::kQueued)) continue;  // nothing judged yet
      tq.setUInt(1, limits.max_message_bytes);
      tq.setString(2, sub.id);
      std::unique_ptr<sql::ResultSet> tr(tq.executeQuery());
      while (tr->next()) {
        TestResult t;
        t.seq = tr->getUInt("seq");
        t.name = tr->getString("name");
        t.passed = tr->getBoolean("passed");
        t.score = OptDouble(*tr, "score");
        t.max_score = OptDouble(*tr, "max_score");
        if (!tr->isNull("message")) t.message = std::string(tr->getString("message"));
        sub.tests.push_back(std::move(t));
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!found) return Status::NotFound("unknown course, module or token");
  return page;
}

Status ReadQueueEstimate(Database& db, const std::string& submission_id, uint32_t module_id,
                         uint32_t recent_jobs, QueueEstimate* q) {
  *q = QueueEstimate{};
  auto& st = db.Prepare(kQueueQuery);
  st.setString(1, submission_id);
  std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return Status::NotFound("submission " + submission_id + " not found");
  if (!rs->isNull("ahead")) q->queue_ahead = rs->getUInt64("ahead");
  q->running_jobs = rs->getUInt64("running_jobs");
  q->active_runners = rs->getUInt64("active_runners");
  if (q->queue_ahead) q->recent_durations_ms = RecentDurations(db, module_id, recent_jobs);
  return Status::Ok();
}

Result<QueueEstimate> LoadQueueEstimate(Database& db, const std::string& submission_id,
                                        uint32_t module_id, uint32_t recent_jobs) {
  QueueEstimate q;
  Status s = db.Run("load the queue estimate for " + submission_id, [&] {
    return ReadQueueEstimate(db, submission_id, module_id, recent_jobs, &q);
  });
  if (!s.ok()) return s;
  return q;
}

}  // namespace oj
