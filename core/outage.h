// The outage ledger's decisions (docs/operations.md), as pure functions of what the ledger
// holds and the time; outage_test.cc table-tests them.
//
//   minute      one aligned UTC wall-clock minute, as the watchdog observed intake in
//               it: health probes through nginx (how many failed) and the /upload
//               answers nginx logged (how many were 5xx)
//   incident    consecutive unavailable minutes; "minutes lost" is their number
//   grace       per module: off, suggest (one message with the `ojctl module extend`
//               command) or auto (extend the deadline by the minutes lost, once per
//               incident) when the deadline falls during an incident or up to
//               grace.window_s after it
//   late accept a token refused (503/5xx) before the deadline has its first upload
//               after that refusal accepted as on time when it arrives after the
//               deadline but within grace.late_accept_s of it
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/intake_store.h"

namespace oj {

// Minutes are counted as Unix seconds / 60 (UTC, so a minute is the same everywhere).
int64_t MinuteOf(SysTime t);
SysTime MinuteStart(int64_t minute);

struct MinuteSample {
  int64_t minute = 0;
  uint32_t probes = 0;
  uint32_t probes_failed = 0;
  uint32_t uploads = 0;      // /upload answers nginx logged in the minute
  uint32_t uploads_5xx = 0;  // of which 5xx
};

// Unavailable: more than ledger.probe_fail_percent of its probes failed (0: any), or at
// least ledger.upload_min_requests uploads of which >= ledger.upload_5xx_percent were 5xx.
bool MinuteUnavailable(const MinuteSample& m, const LedgerConfig& rule);

struct Incident {
  int64_t start_minute = 0;  // the first unavailable minute
  int64_t end_minute = 0;    // one past the last one
  // Intake has been available again for grace.settle_s after end (a sample at or after
  // end_minute exists and now >= end + settle). Only an incident that is over gets
  // grace, so its minutes no longer change.
  bool over = false;
  uint32_t minutes() const { return static_cast<uint32_t>(end_minute - start_minute); }
  SysTime start() const { return MinuteStart(start_minute); }
  SysTime end() const { return MinuteStart(end_minute); }
};

// Merges the unavailable minutes among `samples` (any order; a minute listed twice
// keeps the larger counts) into incidents, oldest first. A minute without a sample is
// not unavailable (the watchdog did not look). latest_minute: the newest minute any
// sample exists for (available or not), which tells whether intake was seen again.
std::vector<Incident> MergeIncidents(std::vector<MinuteSample> samples, const LedgerConfig& rule,
                                     std::optional<int64_t> latest_minute, SysTime now,
                                     uint32_t settle_s);

enum class GracePolicy { kOff, kSuggest, kAuto };
std::optional<GracePolicy> ParseGracePolicy(std::string_view s);  // "off", "suggest", "auto"
const char* GracePolicyName(GracePolicy p);

enum class GraceAction { kNone, kSuggest, kExtend };

struct GraceInput {
  GracePolicy policy = GracePolicy::kSuggest;
  SysTime deadline;
  bool module_closed = false;  // closed by staff: nothing to extend
  Incident incident;
  bool already_decided = false;  // this (module, incident) was suggested or applied before
  uint32_t window_s = 0;
};

// kSuggest / kExtend when the module's policy asks for it, the incident is over, not
// decided before, lost at least a minute, and the deadline lies in
// [incident start, incident end + window_s].
GraceAction DecideGrace(const GraceInput& in);

struct LateAcceptInput {
  SysTime now;
  SysTime deadline;
  // The token's latest refused upload to this module before the deadline, if any.
  std::optional<SysTime> refused_at;
  // A submission of this token to this module was stored after refused_at.
  bool stored_since_refusal = false;
  uint32_t late_accept_s = 0;  // 0: off
};

// The refusal that makes this upload on time, or nullopt: the upload arrives after the
// deadline and at most late_accept_s after it, the token was refused before the
// deadline, and nothing was stored for it since that refusal (only the first upload
// after the refusal is helped).
std::optional<SysTime> DecideLateAccept(const LateAcceptInput& in);

// Cheap precheck before the ledger is consulted: the upload would be refused as past
// the deadline (or marked late) only because of the time, and late accept could
// still apply: token valid and enrolled, module known and not closed by staff, open,
// the file within its limit, now in (deadline, deadline + late_accept_s].
bool LateAcceptCandidate(const UploadTarget& t, SysTime now, uint64_t file_size,
                         uint32_t late_accept_s);

// "1 minute", "3 minutes".
std::string FormatMinutesLost(uint32_t minutes);

}  // namespace oj
