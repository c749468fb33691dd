// The watchdog's part of the outage ledger (docs/operations.md): each cycle it adds the health
// probe's result and the /upload answers nginx logged to the current minute and
// journals that minute (under <storage_dir>/ledger, so it is recorded while MariaDB
// is down), imports the journals (its own and the pool's refused uploads) once the
// database answers, and applies each module's grace policy to incidents that are
// over: `suggest` returns one message naming the minutes lost and the exact
// `ojctl module extend` command, `auto` extends the deadline (once per incident,
// audited) and returns a message saying so. Decisions are core/outage.h's pure
// functions; "once" is the database's primary key on (module, incident start).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/db.h"
#include "core/outage.h"
#include "ops/watchdog/alert.h"
#include "ops/watchdog/parsers.h"

namespace oj::watchdog {

class OutageKeeper {
 public:
  // carry: the minute being counted by the keeper this one replaces (config reload).
  OutageKeeper(const Config& cfg, MinuteSample carry = {});

  // One cycle. Never blocks longer than the database timeouts; failures are kept in
  // last_error() and retried next cycle (nothing journaled is lost meanwhile).
  std::vector<Alert> Cycle(bool probe_ok, const std::optional<HttpCounts>& http, SysTime now,
                           const std::string& host);

  const MinuteSample& current() const { return current_; }
  const std::string& last_error() const { return last_error_; }

 private:
  std::vector<Alert> DecideGrace(SysTime now, const std::string& host);

  Config cfg_;
  std::string dir_;
  Database db_;
  MinuteSample current_;
  std::string last_error_;
};

}  // namespace oj::watchdog
