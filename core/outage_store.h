// The outage ledger in the database (sql/0003_outages.sql): importing the local
// journals (outage_journal.h), reading minutes and refused attempts back, the
// late-accept lookup of the upload path, and the grace actions (a suggestion
// recorded, a deadline extended) with their once-per-incident guarantee.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/db.h"
#include "core/outage.h"
#include "core/outage_journal.h"

namespace oj {

struct ImportCounts {
  uint64_t refusals = 0;
  uint64_t minutes = 0;
  uint64_t bad_lines = 0;  // lines that did not parse (skipped, never imported)
};

// Imports both journals in ledger_dir into the database, idempotently (a refused
// attempt by its id; a minute keeps the larger of each count). kUnavailable while the
// database is down (the journals are kept).
Result<ImportCounts> ImportLedgerJournals(Database& db, const std::string& ledger_dir,
                                          uint64_t journal_max_bytes);

struct LedgerMinutes {
  std::vector<MinuteSample> with_failures;  // minutes since `since` with a failed probe or a 5xx
  std::optional<int64_t> latest_minute;     // newest minute recorded at all
};
// What MergeIncidents needs, without reading every healthy minute.
Result<LedgerMinutes> LoadLedgerMinutes(Database& db, SysTime since);

struct RefusalCounts {
  uint64_t attempts = 0;
  uint64_t tokens = 0;  // distinct tokens that belong to a student
};
// Refused attempts with from <= at < to; course/module empty: all.
Result<RefusalCounts> CountRefusals(Database& db, SysTime from, SysTime to,
                                    const std::string& course, const std::string& module);

// For the upload path: the token's latest refused attempt at this course/module
// strictly before `before`, and whether the student stored a submission for the
// module after it. One round trip.
struct RefusalLookup {
  std::optional<SysTime> refused_at;
  bool stored_since = false;
};
Result<RefusalLookup> LookupRefusal(Database& db, const std::string& token,
                                    const std::string& course, const std::string& module,
                                    uint32_t student_id, uint32_t module_id, SysTime before);

struct GraceModule {
  uint32_t id = 0;
  std::string course;
  std::string code;
  SysTime deadline;
  bool closed = false;
  GracePolicy policy = GracePolicy::kSuggest;
};
// Modules whose policy is not off and whose deadline lies in [from, to].
Result<std::vector<GraceModule>> LoadGraceModules(Database& db, SysTime from, SysTime to);
// (module id, incident start minute) pairs already decided, for incidents since `since`.
Result<std::set<std::pair<uint32_t, int64_t>>> LoadGraceDecisions(Database& db, SysTime since);

// Records a suggestion for (module, incident); false when one was recorded before
// (another watchdog, or an earlier cycle, already sent it).
Result<bool> RecordGraceSuggestion(Database& db, uint32_t module_id, const Incident& incident,
                                   SysTime deadline);

struct Extension {
  SysTime old_deadline;
  SysTime new_deadline;
  std::optional<SysTime> old_late_until;
  std::optional<SysTime> new_late_until;
  uint64_t late_cleared = 0;  // submissions before the new deadline no longer marked late
};

// In one transaction: moves the module's deadline (and late window end, if any) by
// `minutes`, clears the late mark of submissions received before the new deadline,
// and writes the audit_log row (actor, action "module.extend"). With an incident,
// also records the decision: nullopt (nothing changed) when this incident was
// already applied to this module. NotFound for an unknown course/module;
// InvalidArgument for minutes outside 1..525600.
Result<std::optional<Extension>> ExtendModuleDeadline(Database& db, const std::string& course,
                                                      const std::string& module, uint32_t minutes,
                                                      const std::string& actor,
                                                      const std::optional<Incident>& incident);

// NotFound for an unknown course/module.
Status SetGracePolicy(Database& db, const std::string& course, const std::string& module,
                      GracePolicy policy);
Result<GracePolicy> GetGracePolicy(Database& db, const std::string& course,
                                   const std::string& module);

}  // namespace oj
