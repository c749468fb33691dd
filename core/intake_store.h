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
// Uploads by this student to this module received at or after `since`.
Result<RecentUploads> CountUploadsSince(Database& db, uint32_t student_id, uint32_t module_id,
                                        SysTime since);

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
};

// Inserts the row as queued and, when supersede is set, marks the student's older
// queued submissions for the module superseded, in one transaction.
Status InsertSubmission(Database& db, const NewSubmission& s);

// True if a submission row with this id exists.
Result<bool> SubmissionExists(Database& db, const std::string& id);

}  // namespace oj
