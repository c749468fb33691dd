#include "core/queue_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "core/db_columns.h"
#include "core/utf8.h"

namespace oj {
namespace {

// Every text a job produced goes through ToStoredText here, the one way to the columns
// (strict utf8mb4): invalid UTF-8 and NUL bytes become U+FFFD, cuts keep characters whole.
constexpr size_t kLogColumnMax = 1 << 20;   // MEDIUMTEXT holds 16 MiB; we keep 1 MiB at most
constexpr size_t kReasonLogMax = 4000;      // a judge_error's reason, in the log column
constexpr size_t kTestNameColumnMax = 200;  // test_results.name VARCHAR(200) characters
constexpr size_t kTestMessageMax = 65535;   // test_results.message TEXT
constexpr size_t kRunnerReasonMax = 255;    // runners.reason VARCHAR(255)

}  // namespace

Result<std::optional<ClaimedSubmission>> ClaimNext(Database& db, const std::string& runner_id,
                                                   std::chrono::seconds lease) {
  std::optional<ClaimedSubmission> claimed;
  Status s = db.Transaction(
      "claim a queued submission",
      [&]() -> Status {
        claimed.reset();
        auto& pick = db.Prepare(
            "SELECT id FROM submissions WHERE status = 'queued' ORDER BY received_at "
            "LIMIT 1 FOR UPDATE SKIP LOCKED");
        std::unique_ptr<sql::ResultSet> rs(pick.executeQuery());
        if (!rs->next()) return Status::Ok();
        std::string id = rs->getString(1);
        auto& take = db.Prepare(
            "UPDATE submissions SET status = 'running', runner_id = ?, "
            "lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, started_at = UTC_TIMESTAMP(6) "
            "WHERE id = ? AND status = 'queued'");
        take.setString(1, runner_id);
        take.setUInt(2, static_cast<uint32_t>(lease.count()));
        take.setString(3, id);
        if (take.executeUpdate() != 1) return Status::Ok();  // not ours after all
        auto& info = db.Prepare(
            "SELECT s.storage_key, s.attempts, m.code AS mcode, m.judge_dir, c.code AS ccode "
            "FROM submissions s JOIN modules m ON m.id = s.module_id "
            "JOIN courses c ON c.id = m.course_id WHERE s.id = ?");
        info.setString(1, id);
        std::unique_ptr<sql::ResultSet> row(info.executeQuery());
        if (!row->next()) return Status::Internal("claimed submission " + id + " vanished");
        ClaimedSubmission c;
        c.id = id;
        c.storage_key = row->getString("storage_key");
        c.attempts = row->getUInt("attempts");
        c.module = row->getString("mcode");
        c.judge_dir = row->getString("judge_dir");
        c.course = row->getString("ccode");
        claimed = std::move(c);
        return Status::Ok();
      },
      /*read_committed=*/true);
  if (!s.ok()) return s;
  return claimed;
}

Status ExtendLease(Database& db, const std::string& id, const std::string& runner_id,
                   std::chrono::seconds lease) {
  return db.Run("extend lease", [&]() -> Status {
    auto& st = db.Prepare(
        "UPDATE submissions SET lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND "
        "WHERE id = ? AND runner_id = ? AND status = 'running'");
    st.setUInt(1, static_cast<uint32_t>(lease.count()));
    st.setString(2, id);
    st.setString(3, runner_id);
    if (st.executeUpdate() != 1) {
      return Status::FailedPrecondition("lease on " + id + " lost");
    }
    return Status::Ok();
  });
}

Result<ExpiredLeases> RequeueExpired(Database& db, uint32_t max_attempts) {
  ExpiredLeases n;
  Status s = db.Transaction(
      "requeue expired leases",
      [&]() -> Status {
        auto& fail = db.Prepare(
            "UPDATE submissions SET status = 'judge_error', attempts = attempts + 1, "
            "finished_at = UTC_TIMESTAMP(6), lease_until = NULL, "
            "log = CONCAT('judge error: the lease expired on attempt ', attempts + 1, "
            "' (runner ', COALESCE(runner_id, '?'), ')') "
            "WHERE status = 'running' AND lease_until < UTC_TIMESTAMP(6) AND attempts + 1 >= ?");
        fail.setUInt(1, max_attempts);
        n.failed = static_cast<uint32_t>(fail.executeUpdate());
        auto& requeue = db.Prepare(
            "UPDATE submissions SET status = 'queued', attempts = attempts + 1, "
            "runner_id = NULL, lease_until = NULL, started_at = NULL "
            "WHERE status = 'running' AND lease_until < UTC_TIMESTAMP(6)");
        n.requeued = static_cast<uint32_t>(requeue.executeUpdate());
        return Status::Ok();
      },
      /*read_committed=*/true);
  if (!s.ok()) return s;
  return n;
}

Status FinishSubmission(Database& db, const std::string& id, const std::string& runner_id,
                        const JudgedResult& r) {
  return db.Transaction(
      "write result",
      [&]() -> Status {
        auto& st = db.Prepare(
            "UPDATE submissions SET status = 'done', verdict = ?, score = ?, max_score = ?, "
            "log = ?, log_truncated = ?, cpu_ms = ?, wall_ms = ?, peak_memory_kb = ?, "
            "finished_at = UTC_TIMESTAMP(6), lease_until = NULL "
            "WHERE id = ? AND runner_id = ? AND status = 'running'");
        st.setString(1, r.verdict);
        st.setDouble(2, r.score);
        st.setDouble(3, r.max_score);
        bool cut = false;
        st.setString(4, ToStoredText(r.log, kLogColumnMax, &cut));
        st.setBoolean(5, r.log_truncated || cut);
        st.setUInt64(6, r.cpu_ms);
        st.setUInt64(7, r.wall_ms);
        st.setUInt64(8, r.peak_memory_kb);
        st.setString(9, id);
        st.setString(10, runner_id);
        if (st.executeUpdate() != 1) {
          return Status::FailedPrecondition("lease on " + id + " lost; result not written");
        }
        auto& del = db.Prepare("DELETE FROM test_results WHERE submission_id = ?");
        del.setString(1, id);
        del.executeUpdate();
        auto& ins = db.Prepare(
            "INSERT INTO test_results (submission_id, seq, name, passed, message, score, "
            "max_score, time_ms, memory_kb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        uint32_t seq = 0;
        for (const auto& t : r.tests) {
          ins.setString(1, id);
          ins.setUInt(2, ++seq);
          ins.setString(3, ToStoredText(t.name, kTestNameColumnMax));
          ins.setBoolean(4, t.passed);
          ins.setString(5, ToStoredText(t.message, kTestMessageMax));
          SetOptDouble(ins, 6, t.score);
          SetOptDouble(ins, 7, t.max_score);
          SetOptU64(ins, 8, t.time_ms);
          SetOptU64(ins, 9, t.memory_kb);
          ins.executeUpdate();
        }
        return Status::Ok();
      },
      /*read_committed=*/true);
}

Status FailAttempt(Database& db, const std::string& id, const std::string& runner_id,
                   uint32_t max_attempts, const std::string& reason) {
  return db.Transaction(
      "record internal error",
      [&]() -> Status {
        auto& st = db.Prepare(
            "UPDATE submissions SET attempts = attempts + 1, lease_until = NULL, "
            "status = IF(attempts >= ?, 'judge_error', 'queued'), "
            "runner_id = IF(status = 'judge_error', runner_id, NULL), "
            "finished_at = IF(status = 'judge_error', UTC_TIMESTAMP(6), NULL), "
            "started_at = IF(status = 'judge_error', started_at, NULL), "
            "log = IF(status = 'judge_error', ?, log) "
            "WHERE id = ? AND runner_id = ? AND status = 'running'");
        // MariaDB and MySQL evaluate single-table SET assignments left to right, so
        // `attempts` above is already incremented and `status` already decided.
        st.setUInt(1, max_attempts);
        st.setString(2, ToStoredText("judge error: " + reason, kReasonLogMax));
        st.setString(3, id);
        st.setString(4, runner_id);
        if (st.executeUpdate() != 1) {
          return Status::FailedPrecondition("lease on " + id + " lost");
        }
        return Status::Ok();
      },
      /*read_committed=*/true);
}

Status ReleaseSubmission(Database& db, const std::string& id, const std::string& runner_id) {
  return db.Run("release submission", [&]() -> Status {
    auto& st = db.Prepare(
        "UPDATE submissions SET status = 'queued', runner_id = NULL, lease_until = NULL, "
        "started_at = NULL WHERE id = ? AND runner_id = ? AND status = 'running'");
    st.setString(1, id);
    st.setString(2, runner_id);
    if (st.executeUpdate() != 1) return Status::FailedPrecondition("lease on " + id + " lost");
    return Status::Ok();
  });
}

Status RecordHeartbeat(Database& db, const RunnerHeartbeat& h) {
  return db.Run("record runner heartbeat", [&]() -> Status {
    auto& st = db.Prepare(
        "INSERT INTO runners (id, host, slot, state, reason, submission_id, heartbeat_at, "
        "internal_errors, started_at, pid) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE host = VALUES(host), slot = VALUES(slot), "
        "state = VALUES(state), reason = VALUES(reason), submission_id = VALUES(submission_id), "
        "heartbeat_at = VALUES(heartbeat_at), internal_errors = VALUES(internal_errors), "
        "started_at = VALUES(started_at), pid = VALUES(pid)");
    st.setString(1, h.id);
    st.setString(2, h.host);
    st.setUInt(3, h.slot);
    st.setString(4, h.state);
    st.setString(5, ToStoredText(h.reason, kRunnerReasonMax));
    if (h.submission_id) {
      st.setString(6, *h.submission_id);
    } else {
      st.setNull(6, 0);
    }
    st.setUInt(7, h.internal_errors);
    if (h.started_at.empty()) {
      st.setNull(8, 0);
    } else {
      st.setString(8, h.started_at);
    }
    st.setUInt(9, h.pid);
    st.executeUpdate();
    return Status::Ok();
  });
}

}  // namespace oj
