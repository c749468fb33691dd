// Database access for the upload path. Every statement is prepared; student
// bytes only ever travel as parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/db.h"

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
  bool canary = false;  // the course's canary student (issue 10): no dedup, no token rate
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

struct ExistingSubmission {
  std::string id;
  SysTime received_at;
  bool late = false;
};

// When an upload counts as a retry of an earlier one (issue 10): same student,
// module and bytes; the earlier one still queued or running, or received at or
// after `since`; and received before this request began arriving at nginx
// (`request_began`). The last condition keeps concurrent identical uploads (the old
// operators' "32 at once" test) distinct: only an upload whose twin was already
// stored when it started is a retry.
struct DedupWindow {
  SysTime since;
  SysTime request_began;
};

// What the upload path reads before storing, in one round trip (so retry detection
// costs the normal path no extra one): the student's uploads to the module received
// at or after `rate_since` (token rate) and, when dedup is set, the earlier submission
// this upload retries.
struct UploadHistory {
  RecentUploads recent;
  std::optional<ExistingSubmission> duplicate;
};
Result<UploadHistory> LoadUploadHistory(Database& db, uint32_t student_id, uint32_t module_id,
                                        const std::string& sha256, SysTime rate_since,
                                        const std::optional<DedupWindow>& dedup);

// In one transaction: locks the student's row (so one student's uploads are
// serialized) and, when dedup is set, returns the earlier submission this upload
// retries if one committed meanwhile, inserting nothing (the lookup rides on the
// lock statement: no extra round trip when there is none); otherwise inserts the row
// as queued and, when supersede is set, marks the student's older queued
// submissions of the module superseded.
Result<std::optional<ExistingSubmission>> InsertSubmission(Database& db, const NewSubmission& s,
                                                           const std::optional<DedupWindow>& dedup);

// True if a submission row with this id exists.
Result<bool> SubmissionExists(Database& db, const std::string& id);

}  // namespace oj
