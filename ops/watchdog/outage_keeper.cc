#include "ops/watchdog/outage_keeper.h"

#include <algorithm>

#include "core/log.h"
#include "core/outage_journal.h"
#include "core/outage_store.h"

namespace oj::watchdog {
namespace {

DatabaseConfig KeeperDb(DatabaseConfig d) {
  // Like the checks: a hung database must not stall the cycle for long.
  d.connect_timeout_s = std::min<uint32_t>(d.connect_timeout_s, 2);
  d.read_timeout_s = std::min<uint32_t>(d.read_timeout_s, 3);
  return d;
}

std::string Span(const Incident& i) {
  return FormatDisplayTime(i.start()).substr(0, 16) + " to " +
         FormatDisplayTime(i.end()).substr(0, 16);
}

}  // namespace

OutageKeeper::OutageKeeper(const Config& cfg, MinuteSample carry)
    : cfg_(cfg), dir_(LedgerDir(cfg)), db_(KeeperDb(cfg.database)), current_(carry) {}

std::vector<Alert> OutageKeeper::Cycle(bool probe_ok, const std::optional<HttpCounts>& http,
                                       SysTime now, const std::string& host) {
  int64_t minute = MinuteOf(now);
  if (minute != current_.minute) current_ = MinuteSample{minute, 0, 0, 0, 0};
  ++current_.probes;
  if (!probe_ok) ++current_.probes_failed;
  if (http) {
    current_.uploads += static_cast<uint32_t>(http->uploads);
    current_.uploads_5xx += static_cast<uint32_t>(http->upload_server_errors);
  }
  // The running counts of this minute; a later line of the same minute supersedes it.
  Status s =
      AppendJournal(dir_, kMinutesJournal, EncodeMinute(current_), cfg_.ledger.journal_max_bytes);
  if (!s.ok()) spdlog::error("outage ledger: minute not journaled: {}", s.message());

  auto imported = ImportLedgerJournals(db_, dir_, cfg_.ledger.journal_max_bytes);
  if (!imported.ok()) {
    if (last_error_ != imported.status().message()) {
      spdlog::warn("outage ledger: journals kept for later: {}", imported.status().message());
    }
    last_error_ = imported.status().message();
    return {};
  }
  if (imported->refusals > 0 || imported->bad_lines > 0) {
    spdlog::info("outage ledger: imported {} refused uploads, {} minute lines ({} bad lines)",
                 imported->refusals, imported->minutes, imported->bad_lines);
  }
  last_error_.clear();
  return DecideGrace(now, host);
}

std::vector<Alert> OutageKeeper::DecideGrace(SysTime now, const std::string& host) {
  std::vector<Alert> out;
  const auto window = std::chrono::seconds(cfg_.grace.window_s);
  // An incident matters while a deadline within its window may still move.
  SysTime since = now - window - std::chrono::seconds(cfg_.grace.settle_s) - std::chrono::hours(2);
  auto minutes = LoadLedgerMinutes(db_, since);
  if (!minutes.ok()) {
    last_error_ = minutes.status().message();
    return out;
  }
  auto incidents = MergeIncidents(minutes->with_failures, cfg_.ledger, minutes->latest_minute, now,
                                  cfg_.grace.settle_s);
  std::erase_if(incidents, [](const Incident& i) { return !i.over; });
  if (incidents.empty()) return out;
  auto decided = LoadGraceDecisions(db_, since - std::chrono::hours(1));
  if (!decided.ok()) {
    last_error_ = decided.status().message();
    return out;
  }
  auto modules = LoadGraceModules(db_, incidents.front().start(), incidents.back().end() + window);
  if (!modules.ok()) {
    last_error_ = modules.status().message();
    return out;
  }
  for (const Incident& inc : incidents) {
    for (const GraceModule& m : *modules) {
      GraceInput in{m.policy,
                    m.deadline,
                    m.closed,
                    inc,
                    decided->count({m.id, inc.start_minute}) > 0,
                    cfg_.grace.window_s};
      GraceAction action = oj::DecideGrace(in);
      if (action == GraceAction::kNone) continue;
      std::string target = m.course + "/" + m.code;
      Alert a;
      a.check = "outage_grace";
      a.host = host;
      a.time = FormatIso8601(now);
      if (action == GraceAction::kSuggest) {
        auto recorded = RecordGraceSuggestion(db_, m.id, inc, m.deadline);
        if (!recorded.ok()) {
          last_error_ = recorded.status().message();
          continue;
        }
        if (!*recorded) continue;  // another watchdog sent it
        auto refused = CountRefusals(db_, inc.start(), inc.end(), m.course, m.code);
        std::string counts = refused.ok() ? ", " + std::to_string(refused->attempts) +
                                                " refused uploads from " +
                                                std::to_string(refused->tokens) + " tokens"
                                          : "";
        a.state = "suggest";
        a.detail = target + ": intake was unavailable for " + FormatMinutesLost(inc.minutes()) +
                   " (" + Span(inc) + counts + ") near its deadline " +
                   FormatDisplayTime(m.deadline) + "; to give them back run: ojctl module extend " +
                   m.course + " " + m.code + " --minutes " + std::to_string(inc.minutes());
      } else {
        auto ext = ExtendModuleDeadline(db_, m.course, m.code, inc.minutes(), "oj-watchdog", inc);
        if (!ext.ok()) {
          last_error_ = ext.status().message();
          continue;
        }
        if (!*ext) continue;  // applied before (another watchdog)
        a.state = "extended";
        a.detail = target + ": deadline extended by " + FormatMinutesLost(inc.minutes()) + ", " +
                   FormatDisplayTime((*ext)->old_deadline) + " -> " +
                   FormatDisplayTime((*ext)->new_deadline) + ", after intake was unavailable " +
                   Span(inc) + " (grace policy auto; audit_log module.extend)";
      }
      decided->insert({m.id, inc.start_minute});
      out.push_back(std::move(a));
    }
  }
  return out;
}

}  // namespace oj::watchdog
