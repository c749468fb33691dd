// ojctl outages, module extend, module set-grace: the outage ledger and grace
// (docs/operations.md "Outage ledger and grace").
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/outage.h"
#include "core/outage_journal.h"
#include "core/outage_store.h"
#include "ops/ojctl/cli.h"

namespace oj::ctl {
namespace {

struct OutageOptions {
  std::string module;  // COURSE/MODULE
  std::string since = "now-7d";
};

std::string HhMm(SysTime t) { return FormatDisplayTime(t).substr(0, 16); }

int ListOutages(Cli& cli, const OutageOptions& o) {
  std::string course, module;
  if (!o.module.empty()) {
    size_t slash = o.module.find('/');
    if (slash == std::string::npos) return BadInput("--module takes COURSE/MODULE");
    course = o.module.substr(0, slash);
    module = o.module.substr(slash + 1);
    if (!IsValidCode(course) || !IsValidCode(module))
      return BadInput("--module takes COURSE/MODULE");
  }
  auto since = ParseTimeOption("--since", o.since);
  if (!since.ok()) return Fail(since.status());
  // What the pool and the watchdog journaled while the database was down; the
  // watchdog imports it every cycle, this only makes the listing current.
  auto imported =
      ImportLedgerJournals(cli.db(), LedgerDir(cli.cfg), cli.cfg.ledger.journal_max_bytes);
  if (!imported.ok()) {
    if (imported.status().code() == Status::Code::kUnavailable) return Fail(imported.status());
    std::cerr << "ojctl: warning: journals not imported: " << imported.status().message() << "\n";
  }
  // An incident that began before --since still counts whole.
  auto minutes = LoadLedgerMinutes(cli.db(), *since - std::chrono::hours(24));
  if (!minutes.ok()) return Fail(minutes.status());
  SysTime now = std::chrono::system_clock::now();
  auto incidents = MergeIncidents(minutes->with_failures, cli.cfg.ledger, minutes->latest_minute,
                                  now, cli.cfg.grace.settle_s);
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const Incident& i : incidents) {
    if (i.end() <= *since) continue;
    auto counts = CountRefusals(cli.db(), i.start(), i.end(), course, module);
    if (!counts.ok()) return Fail(counts.status());
    const char* state = i.over ? "over" : "ongoing";
    j.push_back({{"start", FormatIso8601(i.start())},
                 {"end", FormatIso8601(i.end())},
                 {"minutes_lost", i.minutes()},
                 {"refused_attempts", counts->attempts},
                 {"affected_tokens", counts->tokens},
                 {"state", state}});
    rows.push_back({HhMm(i.start()), HhMm(i.end()), std::to_string(i.minutes()),
                    std::to_string(counts->attempts), std::to_string(counts->tokens), state});
  }
  if (cli.json) {
    std::cout << j.dump(2) << "\n";
  } else if (rows.empty()) {
    std::cout << "no outage recorded since " << FormatDisplayTime(*since) << "\n";
  } else {
    PrintTable({"START", "END", "MINUTES_LOST", "REFUSED", "TOKENS", "STATE"}, rows);
  }
  return kExitOk;
}

int Extend(Cli& cli, const std::string& course, const std::string& module, int minutes) {
  if (minutes <= 0) return BadInput("--minutes must be at least 1");
  auto e = ExtendModuleDeadline(cli.db(), course, module, static_cast<uint32_t>(minutes),
                                cli.Actor(), std::nullopt);
  if (!e.ok()) return Fail(e.status());
  const Extension& x = **e;  // without an incident an extension always happens
  if (cli.json) {
    std::cout << nlohmann::json{{"course", course},
                                {"module", module},
                                {"minutes", minutes},
                                {"old_deadline", FormatIso8601(x.old_deadline)},
                                {"deadline", FormatIso8601(x.new_deadline)},
                                {"late_cleared", x.late_cleared}}
                     .dump()
              << "\n";
  } else {
    std::cout << "module " << course << "/" << module << " deadline "
              << FormatDisplayTime(x.old_deadline) << " -> " << FormatDisplayTime(x.new_deadline)
              << (x.new_late_until ? " (late window end moved too)" : "")
              << (x.late_cleared ? ", " + std::to_string(x.late_cleared) + " late marks cleared"
                                 : "")
              << "\n";
  }
  return kExitOk;
}

int SetGrace(Cli& cli, const std::string& course, const std::string& module,
             const std::string& policy) {
  auto p = ParseGracePolicy(policy);
  if (!p) return BadInput("grace policy must be off, suggest or auto (got '" + policy + "')");
  if (Status s = SetGracePolicy(cli.db(), course, module, *p); !s.ok()) return Fail(s);
  cli.Audit("module.grace", course + "/" + module, policy);
  std::cout << "module " << course << "/" << module << " grace policy " << policy << "\n";
  return kExitOk;
}

}  // namespace

void AddOutageCommands(CLI::App& app, Cli& cli) {
  auto* outages = app.add_subcommand(
      "outages", "incidents from the outage ledger: unavailable minutes merged, refused uploads");
  auto oo = std::make_shared<OutageOptions>();
  outages->add_option("--module", oo->module,
                      "COURSE/MODULE: count only that module's refused uploads");
  outages->add_option(
      "--since", oo->since,
      "incidents ending after this time (default now-7d): now-2h, \"YYYY-MM-DD HH:MM\"...");
  outages->callback([&cli, oo] { cli.run = [&cli, oo] { return ListOutages(cli, *oo); }; });

  CLI::App* module = app.get_subcommand("module");
  module->description("modules (assignments): add, set, list, extend, set-grace");
  struct ModuleArgs {
    std::string course, module, policy;
    int minutes = 0;
  };
  auto ea = std::make_shared<ModuleArgs>();
  auto* extend = module->add_subcommand(
      "extend", "move a module's deadline (and late window end) later by N minutes; audited");
  extend->add_option("course", ea->course, "course code")->required();
  extend->add_option("module", ea->module, "module code")->required();
  extend->add_option("--minutes", ea->minutes, "minutes to add, e.g. the minutes an outage lost")
      ->required();
  extend->callback([&cli, ea] {
    cli.run = [&cli, ea] { return Extend(cli, ea->course, ea->module, ea->minutes); };
  });

  auto ga = std::make_shared<ModuleArgs>();
  auto* grace = module->add_subcommand(
      "set-grace",
      "after an outage before the deadline: off, suggest (message, default) or auto "
      "(extend by the minutes lost)");
  grace->add_option("course", ga->course, "course code")->required();
  grace->add_option("module", ga->module, "module code")->required();
  grace->add_option("policy", ga->policy, "off | suggest | auto")->required();
  grace->callback([&cli, ga] {
    cli.run = [&cli, ga] { return SetGrace(cli, ga->course, ga->module, ga->policy); };
  });
}

}  // namespace oj::ctl
