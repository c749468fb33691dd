#include "core/results_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace oj {
namespace {

// target: the (student, module) the URL names, if the token is enabled and enrolled
// in that course; at most one row (token, course code and module code are unique).
// The outer query lists that student's submissions for the module, newest first; a
// LEFT JOIN keeps the header row when there are none. Queue positions count queued
// rows of every token by (received_at, id), a range scan on ix_submissions_queue.
// The watchdog's canary submissions (submissions.canary) count in no queue figure.
constexpr char kResultsQuery[] = R"SQL(
WITH target AS (
  SELECT st.id AS student_id, m.id AS module_id, c.code AS course_code,
         c.title AS course_title, m.code AS module_code, m.title AS module_title,
         m.deadline, m.late_until, m.closed, m.closed_at
  FROM students st
  JOIN courses c ON c.id = st.course_id
  JOIN modules m ON m.course_id = c.id
  WHERE st.token = ? AND st.enabled = 1 AND c.code = ? AND m.code = ?
)
SELECT t.course_code, t.course_title, t.module_code, t.module_title, t.deadline,
  t.late_until, t.closed, t.closed_at,
  (SELECT COUNT(*) FROM submissions r WHERE r.status = 'running' AND r.canary = 0) AS running_jobs,
  (SELECT COUNT(*) FROM runners WHERE state <> 'disabled'
     AND heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL 60 SECOND) AS active_runners,
  (SELECT GROUP_CONCAT(d.ms) FROM (
     SELECT TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) DIV 1000 AS ms
     FROM submissions
     WHERE status = 'done' AND canary = 0 AND started_at IS NOT NULL AND finished_at IS NOT NULL
     ORDER BY received_at DESC LIMIT ?) d) AS recent_ms,
  s.id, s.received_at, s.size_bytes, s.sha256, s.status, s.late, s.started_at,
  s.finished_at, s.verdict, s.score, s.max_score, LEFT(s.log, ?) AS log, s.log_truncated,
  s.on_time_refused_at,
  CASE WHEN s.status = 'queued' THEN (
    SELECT COUNT(*) FROM submissions q WHERE q.status = 'queued' AND q.canary = 0
      AND (q.received_at < s.received_at OR (q.received_at = s.received_at AND q.id < s.id))
  ) END AS ahead,
  (SELECT JSON_ARRAYAGG(JSON_OBJECT('seq', tr.seq, 'name', tr.name, 'passed', tr.passed,
       'score', tr.score, 'max_score', tr.max_score, 'message', LEFT(tr.message, ?)))
     FROM test_results tr WHERE tr.submission_id = s.id) AS tests
FROM target t
LEFT JOIN submissions s ON s.student_id = t.student_id AND s.module_id = t.module_id
ORDER BY s.received_at DESC, s.id DESC
LIMIT ?
)SQL";

std::optional<SysTime> OptTime(sql::ResultSet& rs, const char* col) {
  if (rs.isNull(col)) return std::nullopt;
  return ParseDbTime(std::string(rs.getString(col)));
}

std::optional<double> OptDouble(sql::ResultSet& rs, const char* col) {
  if (rs.isNull(col)) return std::nullopt;
  return static_cast<double>(rs.getDouble(col));
}

std::optional<double> JsonDouble(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::vector<ResultsTest> ParseTests(const std::string& text) {
  std::vector<ResultsTest> tests;
  // The server built this JSON from utf8mb4 columns; replace anything odd anyway.
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) return tests;
  for (const auto& o : arr) {
    if (!o.is_object()) continue;
    ResultsTest t;
    if (auto it = o.find("seq"); it != o.end() && it->is_number()) t.seq = it->get<uint32_t>();
    if (auto it = o.find("name"); it != o.end() && it->is_string()) t.name = *it;
    if (auto it = o.find("passed"); it != o.end()) {
      t.passed = it->is_boolean() ? it->get<bool>() : (it->is_number() && it->get<double>() != 0);
    }
    t.score = JsonDouble(o, "score");
    t.max_score = JsonDouble(o, "max_score");
    if (auto it = o.find("message"); it != o.end() && it->is_string()) t.message = *it;
    tests.push_back(std::move(t));
  }
  std::sort(tests.begin(), tests.end(),
            [](const ResultsTest& a, const ResultsTest& b) { return a.seq < b.seq; });
  return tests;
}

std::vector<int64_t> ParseDurations(const std::string& csv) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos < csv.size()) {
    size_t comma = csv.find(',', pos);
    if (comma == std::string::npos) comma = csv.size();
    try {
      out.push_back(std::stoll(csv.substr(pos, comma - pos)));
    } catch (const std::exception&) {
      // Not a number: skip it.
    }
    pos = comma + 1;
  }
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
  Status s = db.Run("load results for " + token, [&] {
    auto& st = db.Prepare(kResultsQuery);
    st.setString(1, token);
    st.setString(2, course);
    st.setString(3, module);
    st.setUInt(4, limits.recent_jobs);
    st.setUInt(5, limits.max_log_bytes + 1);  // one more, to tell a cut log
    st.setUInt(6, limits.max_message_bytes);
    st.setUInt(7, limits.max_submissions);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      if (!found) {
        found = true;
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
        if (!rs->isNull("recent_ms")) {
          page.recent_durations_ms = ParseDurations(std::string(rs->getString("recent_ms")));
        }
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
      if (!rs->isNull("tests")) sub.tests = ParseTests(std::string(rs->getString("tests")));
      page.submissions.push_back(std::move(sub));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!found) return Status::NotFound("unknown course, module or token");
  return page;
}

}  // namespace oj
