// ojctl canary set|remove|status: the end-to-end canary of each module (contract
// §6). The definition lives in the database (table canaries), so course staff manage it
// with the module and every watchdog host sees the same one; timing defaults come
// from the [canary] section of the configuration.
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/canary.h"
#include "core/canary_store.h"
#include "core/fs.h"
#include "domain/submission_status.h"
#include "ops/ojctl/cli.h"

namespace oj::ctl {
namespace {

using nlohmann::json;

struct SetOptions {
  std::string course, module, archive, expect, enabled;
  std::optional<uint32_t> interval_s, target_s;
};

int CanarySet(Cli& cli, const SetOptions& o) {
  CanarySpec spec;
  spec.course = o.course;
  spec.module = o.module;
  if (!o.archive.empty()) {
    auto bytes = ReadSmallFile(o.archive, kMaxCanaryArchiveBytes + 1);
    if (!bytes.ok()) return BadInput("--archive " + o.archive + ": " + bytes.status().message());
    spec.archive = std::move(*bytes);
  }
  if (!o.expect.empty()) {
    auto e = ParseCanaryExpectation(o.expect);
    if (!e.ok()) return BadInput("--expect: " + e.status().message());
    spec.expect = *e;
  }
  if (!o.enabled.empty()) {
    auto on = ParseOnOff("--enabled", o.enabled);
    if (!on.ok()) return Fail(on.status());
    spec.enabled = *on;
  }
  spec.interval_s = o.interval_s;
  spec.judge_target_s = o.target_s;
  auto d = SetCanary(cli.db(), spec);
  if (!d.ok()) return Fail(d.status());
  std::string detail = "expect " + FormatCanaryExpectation(d->expect) + ", archive sha256 " +
                       d->archive_sha256 + (d->enabled ? "" : ", paused");
  cli.Audit("canary.set", o.course + "/" + o.module, detail);
  if (cli.json) {
    std::cout << json{{"course", d->course},
                      {"module", d->module},
                      {"token", d->token},
                      {"expect", FormatCanaryExpectation(d->expect)},
                      {"archive_sha256", d->archive_sha256},
                      {"enabled", d->enabled}}
              << "\n";
  } else {
    std::cout << "canary " << d->course << "/" << d->module << ": token " << d->token
              << ", expects " << FormatCanaryExpectation(d->expect) << ", every "
              << d->interval_s.value_or(cli.cfg.canary.interval_s) << " s, judged within "
              << d->judge_target_s.value_or(cli.cfg.canary.judge_target_s) << " s"
              << (d->enabled ? "" : " (paused)") << "\n";
  }
  return kExitOk;
}

// The watchdog's view of each check, from <run_dir>/watchdog.status.json.
json WatchdogChecks(const Config& cfg) {
  auto text = ReadSmallFile(cfg.paths.run_dir + "/watchdog.status.json", 1 << 20);
  if (!text.ok()) return json::object();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("checks") || !j["checks"].is_object()) return json::object();
  return j["checks"];
}

std::string RunScore(const CanaryRun& r) {
  if (r.status != Name(SubmissionStatus::kDone) || !r.verdict) return r.status;
  return *r.verdict + (r.score ? "/" + FormatScore(r.score) : "");
}

int CanaryStatus(Cli& cli, const std::string& course, uint32_t runs_shown) {
  auto defs = ListCanaries(cli.db(), course);
  if (!defs.ok()) return Fail(defs.status());
  json checks = WatchdogChecks(cli.cfg);
  SysTime now = std::chrono::system_clock::now();
  json out = json::array();
  std::vector<std::vector<std::string>> rows, run_rows;
  for (const CanaryDef& d : *defs) {
    auto runs = RecentCanaryRuns(cli.db(), d.student_id, d.module_id, d.updated_at,
                                 std::max<uint32_t>(runs_shown, 8));
    if (!runs.ok()) return Fail(runs.status());
    std::chrono::seconds target(d.judge_target_s.value_or(cli.cfg.canary.judge_target_s));
    uint32_t interval = d.interval_s.value_or(cli.cfg.canary.interval_s);
    CanaryJudgement j = JudgeCanary(*runs, std::nullopt, now, target, d.expect);
    std::string name = "canary:" + d.course + "/" + d.module;
    std::string wd_state = "not seen", wd_detail;
    if (checks.contains(name) && checks[name].is_object()) {
      wd_state = checks[name].value("state", "?");
      wd_detail = checks[name].value("detail", "");
    }
    json jr = json::array();
    for (size_t i = 0; i < runs->size() && i < runs_shown; ++i) {
      const CanaryRun& r = (*runs)[i];
      std::optional<SysTime> end = r.finished_at;
      auto waited =
          std::chrono::duration_cast<std::chrono::seconds>(end.value_or(now) - r.received_at);
      jr.push_back({{"id", r.id},
                    {"received_at", FormatIso8601(r.received_at)},
                    {"status", r.status},
                    {"verdict", r.verdict ? json(*r.verdict) : json(nullptr)},
                    {"score", r.score ? json(*r.score) : json(nullptr)},
                    {"seconds", waited.count()}});
      run_rows.push_back({d.course + "/" + d.module, r.id, FormatDisplayTime(r.received_at),
                          RunScore(r), (end ? "judged in " : "waiting ") + FormatAge(waited)});
    }
    out.push_back({{"course", d.course},
                   {"module", d.module},
                   {"token", d.token},
                   {"expect", FormatCanaryExpectation(d.expect)},
                   {"interval_s", interval},
                   {"judge_target_s", target.count()},
                   {"enabled", d.enabled},
                   {"archive_sha256", d.archive_sha256},
                   {"archive_bytes", d.archive_bytes},
                   {"outcome", std::string(CanaryOutcomeName(j.outcome))},
                   {"detail", j.detail},
                   {"watchdog_state", wd_state},
                   {"watchdog_detail", wd_detail},
                   {"runs", jr}});
    rows.push_back({d.course + "/" + d.module, d.token, FormatCanaryExpectation(d.expect),
                    FormatAge(std::chrono::seconds(interval)), FormatAge(target),
                    d.enabled ? std::string(CanaryOutcomeName(j.outcome)) : "paused", wd_state,
                    j.detail});
  }
  if (cli.json) {
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (rows.empty()) {
    std::cout << "no canary defined; ojctl canary set COURSE MODULE --archive F --expect "
                 "VERDICT[/SCORE]\n";
    return kExitOk;
  }
  PrintTable({"MODULE", "TOKEN", "EXPECT", "EVERY", "TARGET", "LAST", "ALERT", "DETAIL"}, rows);
  if (!run_rows.empty()) {
    std::cout << "\n";
    PrintTable({"MODULE", "CANARY", "RECEIVED", "RESULT", "TIME"}, run_rows);
  }
  return kExitOk;
}

}  // namespace

void AddCanaryCommands(CLI::App& app, Cli& cli) {
  auto* canary =
      app.add_subcommand("canary",
                         "the end-to-end canary: a known-good archive per module that oj-watchdog "
                         "uploads through nginx and expects a verdict for");
  canary->require_subcommand(1);

  auto so = std::make_shared<SetOptions>();
  auto* set = canary->add_subcommand(
      "set",
      "define or change a module's canary (creates the course's canary token); "
      "options not given are kept");
  set->add_option("course", so->course, "course code")->required();
  set->add_option("module", so->module, "module code")->required();
  set->add_option("--archive", so->archive,
                  "known-good archive as students upload it (tar.bz2 from submit.sh), <= 1 MiB");
  set->add_option("--expect", so->expect,
                  "the verdict it must get, optionally with the score: accepted/100, partial/60");
  set->add_option("--interval", so->interval_s,
                  "seconds between two canaries of this module (0: [canary] interval_s)");
  set->add_option("--target", so->target_s,
                  "seconds within which it must be judged (0: [canary] judge_target_s)");
  set->add_option("--enabled", so->enabled, "on|off: pause it during judge maintenance");
  set->callback([&cli, so] { cli.run = [&cli, so] { return CanarySet(cli, *so); }; });

  auto rm = std::make_shared<std::pair<std::string, std::string>>();
  auto* remove = canary->add_subcommand(
      "remove", "delete a module's canary (its past submissions stay, hidden from students)");
  remove->add_option("course", rm->first, "course code")->required();
  remove->add_option("module", rm->second, "module code")->required();
  remove->callback([&cli, rm] {
    cli.run = [&cli, rm] {
      Status s = RemoveCanary(cli.db(), rm->first, rm->second);
      if (!s.ok()) return Fail(s);
      cli.Audit("canary.remove", rm->first + "/" + rm->second, "");
      std::cout << "canary " << rm->first << "/" << rm->second << " removed\n";
      return kExitOk;
    };
  });

  auto st = std::make_shared<std::pair<std::string, uint32_t>>("", 3);
  auto* status = canary->add_subcommand(
      "status",
      "each canary: token, expectation, what its newest runs got, the watchdog's "
      "alert state");
  status->add_option("--course", st->first, "only this course");
  status->add_option("--runs", st->second, "newest runs shown per canary (default 3)");
  status->callback(
      [&cli, st] { cli.run = [&cli, st] { return CanaryStatus(cli, st->first, st->second); }; });
}

}  // namespace oj::ctl
