// Database access for the judge runner (contract §5.1): claiming queued submissions under a
// lease, renewing it, writing results fenced on the lease, and the runner's heartbeat.
//
// Lease protocol. A claim turns the oldest `queued` row into `running` with
// runner_id = R and lease_until = now + lease. While R holds the lease (status
// 'running', runner_id R) it may renew it and write the result; every such write
// checks its affected-row count, so a runner whose lease expired and whose job was
// claimed again cannot write a second result. `attempts` counts failed attempts: an
// expired lease or an internal error adds one; at max_attempts the job ends
// `judge_error` instead of returning to the queue. All times are the database's
// UTC_TIMESTAMP(6), so runner clocks do not matter.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"
#include "domain/test_result.h"

namespace oj {

struct ClaimedSubmission {
  std::string id;
  std::string storage_key;  // relative to paths.storage_dir
  std::string course;
  std::string module;
  std::string judge_dir;  // as stored; relative to paths.judges_dir unless absolute
  uint32_t attempts = 0;  // failed attempts before this claim
};

// Claims the oldest queued submission for runner_id at READ COMMITTED with
// SELECT ... FOR UPDATE SKIP LOCKED. nullopt: the queue is empty (or every queued
// row is being claimed by someone else right now).
Result<std::optional<ClaimedSubmission>> ClaimNext(Database& db, const std::string& runner_id,
                                                   std::chrono::seconds lease);

// Renews the lease. kFailedPrecondition: the runner no longer holds it.
Status ExtendLease(Database& db, const std::string& id, const std::string& runner_id,
                   std::chrono::seconds lease);

struct ExpiredLeases {
  uint32_t requeued = 0;
  uint32_t failed = 0;  // ended judge_error after max_attempts
};
// Returns jobs whose lease expired to the queue (attempts + 1), or ends them
// judge_error once attempts reaches max_attempts.
Result<ExpiredLeases> RequeueExpired(Database& db, uint32_t max_attempts);

struct JudgedResult {
  std::string verdict;  // contract §4 verdicts
  double score = 0;
  double max_score = 0;
  std::string log;
  bool log_truncated = false;
  uint64_t cpu_ms = 0;
  uint64_t wall_ms = 0;
  uint64_t peak_memory_kb = 0;
  std::vector<TestResult> tests;
};

// Writes the result (status 'done') and the per-test rows in one transaction, only
// while runner_id holds the lease. kFailedPrecondition: lease lost, nothing written.
Status FinishSubmission(Database& db, const std::string& id, const std::string& runner_id,
                        const JudgedResult& r);

// An internal error (runner, sandbox, judge script): the student is not charged. The
// job goes back to the queue with attempts + 1, or ends judge_error (with reason in
// log) once attempts reaches max_attempts. Fenced on the lease like FinishSubmission.
Status FailAttempt(Database& db, const std::string& id, const std::string& runner_id,
                   uint32_t max_attempts, const std::string& reason);

// Returns the job to the queue unchanged (attempts kept): used on shutdown.
Status ReleaseSubmission(Database& db, const std::string& id, const std::string& runner_id);

struct RunnerHeartbeat {
  std::string id;
  std::string host;
  uint32_t slot = 0;
  std::string state;   // idle | judging | held | disabled
  std::string reason;  // why held or disabled; empty otherwise
  std::optional<std::string> submission_id;
  uint32_t internal_errors = 0;  // consecutive
  std::string started_at;        // when this runner process started (FormatDbTime, UTC)
  uint32_t pid = 0;              // this runner process
};
// Creates or updates the runners row with heartbeat_at = now.
Status RecordHeartbeat(Database& db, const RunnerHeartbeat& h);

}  // namespace oj
