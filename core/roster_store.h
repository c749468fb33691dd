// Rosters and tokens (ojctl roster/token): students of a course, imported in one
// transaction so a roster either lands whole or not at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/db.h"

namespace oj {

struct RosterStudent {
  std::string student_no;
  std::string name;
};

struct RosterImportResult {
  uint32_t added = 0;      // new students, each with a fresh token
  uint32_t renamed = 0;    // existing students whose name changed
  uint32_t unchanged = 0;  // existing students, token and name kept
};

// Adds every student not yet in the course with a new token from the kernel CSPRNG
// and updates changed names; existing tokens are never touched, so a re-import is
// idempotent. One transaction. REQUIRES: student numbers unique within roster.
Result<RosterImportResult> ImportRoster(Database& db, uint32_t course_id,
                                        const std::vector<RosterStudent>& roster);

// A student found by token, or by (course code, student number).
struct StudentRef {
  std::string token;   // either this
  std::string course;  // or these two
  std::string student_no;
};

struct StudentInfo {
  uint32_t id = 0;
  std::string course;
  std::string student_no;
  std::string name;
  std::string token;
  bool enabled = true;
};

Result<StudentInfo> FindStudent(Database& db, const StudentRef& ref);
// Enables or disables a token; returns the student as it is now.
Result<StudentInfo> SetTokenEnabled(Database& db, const StudentRef& ref, bool enabled);
// Replaces the token with a fresh one (the old one stops working at once); past
// submissions stay with the student. Returns the student with the new token.
Result<StudentInfo> RotateToken(Database& db, const StudentRef& ref);

}  // namespace oj
