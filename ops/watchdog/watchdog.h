// The watchdog's cycle: run every check, step each check's alert state, hand
// messages to the Notifier (never waiting for delivery), start per-check actions
// with a cool-down, and write a status file (<run_dir>/watchdog.status.json) that
// operators and tests read. Signals only set flags; Run() acts on them.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "ops/watchdog/alert_state.h"
#include "ops/watchdog/canary_prober.h"
#include "ops/watchdog/checks.h"
#include "ops/watchdog/delivery.h"
#include "ops/watchdog/event_checks.h"
#include "ops/watchdog/outage_keeper.h"

namespace oj::watchdog {

class Watchdog {
 public:
  // REQUIRES: cfg's webhook template validated (ValidateTemplate).
  explicit Watchdog(const Config& cfg);
  ~Watchdog();

  Status Start();  // starts delivery
  // Loops until *stop; on *reload re-reads config_path (keeping alert states).
  void Run(const std::string& config_path, std::atomic<bool>* stop, std::atomic<bool>* reload);
  // One cycle (exposed for tests).
  void RunCycle();

 private:
  void Apply(const Config& cfg);
  void Handle(const Sample& s, Clock::time_point now);
  void MaybeAct(const Sample& s, Clock::time_point now);
  void ReapActions();
  void WriteStatus(const std::vector<Sample>& samples, double cycle_ms);

  Config cfg_;
  std::unique_ptr<Checker> checker_;
  std::unique_ptr<CanaryProber> canary_;  // kept across reloads (remembers refusals)
  std::unique_ptr<EventChecker> events_;  // crashes and restarts (event_checks.h)
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<OutageKeeper> keeper_;
  std::map<std::string, CheckState> states_;
  std::map<std::string, Clock::time_point> last_action_;
  std::map<std::string, pid_t> running_actions_;
  std::string host_;
  std::string status_path_;
  uint64_t cycles_ = 0;
};

// Validates what the watchdog needs beyond ValidateConfig (the template).
Status ValidateWatchdogConfig(const Config& cfg);

}  // namespace oj::watchdog
