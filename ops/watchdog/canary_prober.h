// The end-to-end canary in the watchdog (contract §6; decisions in core/canary.h).
//
// Each cycle, for every canary defined in the database (`ojctl canary set`): read its
// newest submissions; when one is due (CanaryDue), upload the module's known-good
// archive through nginx's real /upload route (multipart, the canary token) and
// remember a refusal; then judge (JudgeCanary) and yield one Sample named
// canary:<course>/<module> for the alert state machine: over when the canary was
// refused, got another verdict, or was not judged within the target; ok when the
// newest concluded canary was right; unknown (state kept) before any conclusion.
//
// What was sent lives in the database (the canary's submissions), so a restarted
// watchdog neither resends early nor forgets a canary in flight; only refusals (which
// leave no row) are remembered here. Bounded: a few rows per canary per cycle, one
// archive (<= kMaxCanaryArchiveBytes) in memory while it is uploaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/canary.h"
#include "core/config.h"
#include "core/db.h"
#include "ops/watchdog/checks.h"

namespace oj::watchdog {

// Canaries still queued or running beyond which no new one is sent.
inline constexpr size_t kMaxCanariesInFlight = 3;
// Submissions read per canary per cycle.
inline constexpr uint32_t kCanaryRunsRead = 8;

// Check name of a module's canary.
std::string CanaryCheckName(const std::string& course, const std::string& module);

// Pure: the observation the alert state machine gets for a judgement.
Observation CanaryObservation(CanaryOutcome o);

class CanaryProber {
 public:
  explicit CanaryProber(const Config& cfg);
  // New configuration (SIGHUP); remembered refusals are kept.
  void Reconfigure(const Config& cfg);
  // One cycle: sends what is due, appends one Sample per canary.
  void Run(std::vector<Sample>* out);

 private:
  struct Memory {
    SysTime version{};  // the definition's updated_at this memory belongs to
    std::optional<SysTime> last_attempt;
    std::optional<CanaryRefusal> refusal;
  };
  struct UploadOutcome {
    bool stored = false;
    std::string id;
    std::string reason;                    // when not stored
    std::chrono::milliseconds elapsed{0};  // the upload's round trip
  };
  UploadOutcome Upload(const std::string& token, const std::string& course,
                       const std::string& module, const std::string& archive);

  CanaryConfig c_;
  std::string upload_url_;
  std::unique_ptr<Database> db_;
  std::map<uint32_t, Memory> memory_;     // by module id
  std::vector<std::string> last_checks_;  // names seen last cycle, for a database outage
};

}  // namespace oj::watchdog
