// Database access for the end-to-end canary (sql/0002_canary.sql). A canary is
// defined per module by staff (`ojctl canary set`): the known-good archive (stored in
// the database, so every watchdog host and every backup has it), the expected verdict,
// optional per-module interval and judge target, and an on/off switch. Its
// submissions belong to the course's canary student (students.canary = 1, student_no
// "~canary"), whose token the watchdog uploads with.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/canary.h"
#include "core/clock.h"
#include "core/db.h"

namespace oj {

// The canary archive is a small known-good solution, read whole into the watchdog.
inline constexpr uint64_t kMaxCanaryArchiveBytes = 1 << 20;
inline constexpr const char* kCanaryStudentNo = "~canary";

struct CanaryDef {
  uint32_t module_id = 0;
  std::string course;
  std::string module;
  uint32_t student_id = 0;
  std::string token;
  std::string archive_sha256;
  uint64_t archive_bytes = 0;
  CanaryExpectation expect;
  std::optional<uint32_t> interval_s;      // unset: [canary] interval_s
  std::optional<uint32_t> judge_target_s;  // unset: [canary] judge_target_s
  bool enabled = true;
  SysTime updated_at;  // runs received before this belong to an older definition
};

// Every canary (course empty) or those of one course, by course and module code.
Result<std::vector<CanaryDef>> ListCanaries(Database& db, const std::string& course = "");

// The archive bytes of a module's canary; NotFound when it has none.
Result<std::string> LoadCanaryArchive(Database& db, uint32_t module_id);

// The newest `limit` canary submissions of (student, module) received at or after since.
Result<std::vector<CanaryRun>> RecentCanaryRuns(Database& db, uint32_t student_id,
                                                uint32_t module_id, SysTime since, uint32_t limit);

// What `ojctl canary set` changes; unset fields are kept. A new canary needs archive
// and expect. interval_s/judge_target_s: 0 means "use the configuration's".
struct CanarySpec {
  std::string course;
  std::string module;
  std::optional<std::string> archive;
  std::optional<CanaryExpectation> expect;
  std::optional<uint32_t> interval_s;
  std::optional<uint32_t> judge_target_s;
  std::optional<bool> enabled;
};

// Creates the course's canary student if needed and writes the definition, in one
// transaction; returns it. NotFound for an unknown course/module; InvalidArgument for
// a missing archive/expectation on a new canary or an archive over
// kMaxCanaryArchiveBytes or the module's size limit.
Result<CanaryDef> SetCanary(Database& db, const CanarySpec& spec);

// Deletes the definition (its past submissions stay, still flagged). NotFound when
// the module has no canary.
Status RemoveCanary(Database& db, const std::string& course, const std::string& module);

}  // namespace oj
