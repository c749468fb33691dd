#include "core/metrics_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <sstream>

#include "domain/submission_status.h"

namespace oj {
namespace {

std::string QueueQuery() {
  std::ostringstream q;
  q << "SELECT status, COALESCE(verdict, '') AS verdict, COUNT(*) AS n, "
       "TIMESTAMPDIFF(MICROSECOND, MIN(received_at), UTC_TIMESTAMP(6)) / 1e6 AS oldest_age, "
       "COALESCE(SUM(wall_ms), 0) / 1e3 AS wall_sum";
  for (int i = 0; i < kJudgeDurationBuckets; ++i) {
    q << ", COALESCE(SUM(wall_ms <= " << static_cast<uint64_t>(kJudgeDurationBounds[i] * 1000)
      << "), 0) AS b" << i;
  }
  q << " FROM submissions WHERE canary = 0 GROUP BY status, verdict";  // canaries: not queue load
  return q.str();
}

}  // namespace

Result<QueueSnapshot> ReadQueueSnapshot(Database& db) {
  QueueSnapshot snap;
  static const std::string kQuery = QueueQuery();
  Status s = db.Run("read queue snapshot", [&] {
    auto& st = db.Prepare(kQuery);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      std::string status = rs->getString("status");
      uint64_t n = rs->getUInt64("n");
      snap.by_status[status] += n;
      if (status == Name(SubmissionStatus::kQueued) && !rs->isNull("oldest_age")) {
        double age = static_cast<double>(rs->getDouble("oldest_age"));
        if (!snap.oldest_queued_age_s || age > *snap.oldest_queued_age_s) {
          snap.oldest_queued_age_s = age;
        }
      }
      if (status == Name(SubmissionStatus::kDone)) {
        VerdictStats& v = snap.by_verdict[rs->getString("verdict")];
        v.count += n;
        v.wall_seconds_sum += static_cast<double>(rs->getDouble("wall_sum"));
        for (int i = 0; i < kJudgeDurationBuckets; ++i) {
          v.bucket[i] += rs->getUInt64(("b" + std::to_string(i)).c_str());
        }
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return snap;
}

Result<std::vector<RunnerRow>> ReadRunners(Database& db, uint32_t max_rows) {
  std::vector<RunnerRow> rows;
  Status s = db.Run("read runners", [&] {
    auto& st = db.Prepare(
        "SELECT id, host, slot, state, reason, internal_errors, "
        "TIMESTAMPDIFF(MICROSECOND, heartbeat_at, UTC_TIMESTAMP(6)) / 1e6 AS age "
        "FROM runners ORDER BY id LIMIT ?");
    st.setUInt(1, max_rows);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      RunnerRow r;
      r.id = rs->getString("id");
      r.host = rs->getString("host");
      r.slot = rs->getUInt("slot");
      r.state = rs->getString("state");
      r.reason = rs->getString("reason");
      r.internal_errors = rs->getUInt("internal_errors");
      r.heartbeat_age_s = static_cast<double>(rs->getDouble("age"));
      rows.push_back(std::move(r));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return rows;
}

}  // namespace oj
