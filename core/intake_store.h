// Database access for the upload path. Every statement is prepared; student
// bytes only ever travel as parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/db.h"
#include "core/results_store.h"

namespace oj {

struct ModuleRow {
  uint32_t id = 0;
  std::string code;
  SysTime opens_at;
  SysTime deadline;
  std::optional<SysTime> late_until;
  bool closed = false;
  std::optional<SysTime> closed_at;
  uint64_t size_limit_bytes = 0;
  bool supersede = true;
};

// What one round trip learns about (token, course, module).
struct UploadTarget {
  bool token_found = false;
  bool token_enabled = false;
  uint32_t student_id = 0;
  uint32_t student_course_id = 0;
  bool canary = false;  // the course's canary student (contract §6): no token rate
  bool course_found = false;
  uint32_t course_id = 0;
  std::optional<ModuleRow> module;
};

Result<UploadTarget> LookupUploadTarget(Database& db, const std::string& token,
                                        const std::string& course, const std::string& module);

struct RecentUploads {
  uint32_t count = 0;
  std::optional<SysTime> oldest;
};

struct NewSubmission {
  std::string id;
  uint32_t student_id = 0;
  uint32_t module_id = 0;
  SysTime received_at;
  uint64_t size_bytes = 0;
  std::string sha256;
  std::string storage_key;
  bool late = false;
  std::string client_ip;
  bool supersede = true;  // older queued submissions of the same student and module
  // Accepted as on time after the deadline: this token was refused then (outage ledger).
  std::optional<SysTime> on_time_refused_at;
  bool canary = false;  // submitted by the watchdog's canary (submissions.canary)
};

// The student's uploads to the module received at or after `since` (the token rate
// rule): one index-only range read of ix_submissions_history.
Result<RecentUploads> LoadRecentUploads(Database& db, uint32_t student_id, uint32_t module_id,
                                        SysTime since);

// An upload's Idempotency-Key (contract §3.1), already validated (IsValidIdempotencyKey),
// and the start of the window in which an earlier use of it counts.
struct IdempotencyKey {
  std::string key;
  SysTime valid_since;
};

// What an earlier upload with the same key was, and the exact answer it got
// (serialized by the caller: core does not know HTTP).
struct KeyedUpload {
  uint32_t module_id = 0;
  std::string sha256;
  std::string submission_id;
  SysTime created_at;
  std::string answer;
};

// The use of key by this student at or after key.valid_since, if any (one
// primary-key read).
Result<std::optional<KeyedUpload>> LookupIdempotencyKey(Database& db, uint32_t student_id,
                                                        const IdempotencyKey& key);

// Builds the new submission's answer from its queue estimate, inside the insert's
// transaction (so the answer recorded under a key is the one the upload itself got)
// and returns it serialized. May run more than once (a deadlock retries the
// transaction): the last call's answer is the one committed.
using AnswerBuilder = std::function<std::string(const QueueEstimate&)>;

struct InsertOutcome {
  // Set when the key was used meanwhile (by a concurrent upload that committed
  // first): nothing was inserted, and this is what that upload was and got.
  std::optional<KeyedUpload> earlier;
};

// In one READ COMMITTED transaction: locks the student's row (so one student's uploads
// are serialized); when key is set and the student used it within its window, returns
// that use and inserts nothing; otherwise inserts the row as queued (and, when
// supersede is set, marks the student's older queued submissions of the module
// superseded), reads its queue estimate, calls build_answer, and when key is set
// records the key with the answer (deleting the student's keys older than the window).
Result<InsertOutcome> InsertSubmission(Database& db, const NewSubmission& s,
                                       const std::optional<IdempotencyKey>& key,
                                       uint32_t recent_jobs, const AnswerBuilder& build_answer);

// True if a submission row with this id exists.
Result<bool> SubmissionExists(Database& db, const std::string& id);

}  // namespace oj
