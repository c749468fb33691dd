// Database access for staff and operators (ojctl): courses, modules, students.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/db.h"

namespace oj {

struct CourseRow {
  uint32_t id = 0;
  std::string code;
  std::string title;
};

struct ModuleSpec {
  std::string course;
  std::string code;
  std::string title;
  SysTime opens_at;
  SysTime deadline;
  std::optional<SysTime> late_until;
  uint64_t size_limit_bytes = 12ull << 20;
  std::string judge_dir;
  bool supersede = true;
};

struct StudentRow {
  uint32_t id = 0;
  std::string student_no;
  std::string name;
  std::string token;
  bool enabled = true;
};

Result<std::vector<CourseRow>> ListCourses(Database& db);
Result<std::optional<CourseRow>> FindCourse(Database& db, const std::string& code);
// Creates the course, or updates its title if it exists. Returns its id.
Result<uint32_t> UpsertCourse(Database& db, const std::string& code, const std::string& title);
// Creates the module, or updates every field if it exists.
Status UpsertModule(Database& db, const ModuleSpec& m);
// Adds a student with a fresh token unless the student number exists (then keeps
// the token). Returns the student's token.
Result<std::string> EnsureStudent(Database& db, uint32_t course_id, const std::string& student_no,
                                  const std::string& name);
struct ModuleListRow {
  std::string code;
  std::string title;
  SysTime opens_at;
  SysTime deadline;
  std::optional<SysTime> late_until;
  bool closed = false;
  uint64_t size_limit_bytes = 0;
  std::string judge_dir;
  bool supersede = true;
  std::string grace_policy = "suggest";  // off | suggest | auto (outage grace)
};
Result<std::vector<ModuleListRow>> ListModules(Database& db, const std::string& course);

// The course's students, without its canary student (see `ojctl canary status`).
Result<std::vector<StudentRow>> ListStudents(Database& db, uint32_t course_id);
Status Audit(Database& db, const std::string& actor, const std::string& action,
             const std::string& target, const std::string& detail);

}  // namespace oj
