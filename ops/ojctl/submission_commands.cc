// ojctl sub list|show, queue, rejudge, cancel, scores export.
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "core/queue_notify.h"
#include "core/staff_store.h"
#include "ops/ojctl/cli.h"
#include "ops/ojctl/roster_csv.h"

namespace oj::ctl {
namespace {

using nlohmann::json;

json OptJson(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json OptJson(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }
json OptJson(const std::optional<SysTime>& t) {
  return t ? json(FormatIso8601(*t)) : json(nullptr);
}

json SummaryJson(const SubmissionSummary& s) {
  return {{"id", s.id},
          {"course", s.course},
          {"module", s.module},
          {"student_no", s.student_no},
          {"token", s.token},
          {"received_at", FormatIso8601(s.received_at)},
          {"size_bytes", s.size_bytes},
          {"late", s.late},
          {"status", s.status},
          {"verdict", s.verdict.empty() ? json(nullptr) : json(s.verdict)},
          {"score", OptJson(s.score)},
          {"max_score", OptJson(s.max_score)}};
}

// "C/M" -> (C, M).
Status SplitModule(const std::string& cm, std::string& course, std::string& module) {
  size_t slash = cm.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == cm.size()) {
    return Status::InvalidArgument("--module wants COURSE/MODULE, e.g. ICS2024/PA1, not '" + cm +
                                   "'");
  }
  course = cm.substr(0, slash);
  module = cm.substr(slash + 1);
  return Status::Ok();
}

struct ListOptions {
  SubmissionFilter f;
  std::string since, until;
};

int SubList(Cli& cli, ListOptions o) {
  if (!o.since.empty()) {
    auto t = ParseTimeOption("--since", o.since);
    if (!t.ok()) return Fail(t.status());
    o.f.since = *t;
  }
  if (!o.until.empty()) {
    auto t = ParseTimeOption("--until", o.until);
    if (!t.ok()) return Fail(t.status());
    o.f.until = *t;
  }
  if (o.f.module.find('/') != std::string::npos && o.f.course.empty()) {
    if (Status s = SplitModule(o.f.module, o.f.course, o.f.module); !s.ok()) return Fail(s);
  }
  auto subs = cli.Report([&](Database& d) { return ListSubmissions(d, o.f); });
  if (!subs.ok()) return Fail(subs.status());
  if (cli.json) {
    json j = json::array();
    for (const auto& s : *subs) j.push_back(SummaryJson(s));
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : *subs) {
    std::string score = s.score ? FormatScore(s.score) + "/" + FormatScore(s.max_score) : "";
    rows.push_back({s.id, FormatDisplayTime(s.received_at), s.course + "/" + s.module, s.student_no,
                    s.token, s.status + (s.late ? " late" : ""), s.verdict, score});
  }
  PrintTable({"ID", "RECEIVED", "MODULE", "STUDENT", "TOKEN", "STATUS", "VERDICT", "SCORE"}, rows);
  if (subs->size() == o.f.limit) {
    std::cerr << "(first " << o.f.limit
              << " shown, newest first; narrow the filters or raise --limit)\n";
  }
  return kExitOk;
}

int SubShow(Cli& cli, const std::string& id) {
  if (!IsValidSubmissionId(id))
    return BadInput("'" + id + "' is not a submission ID (16 of [A-Za-z0-9])");
  auto d = cli.Report([&](Database& db) { return ShowSubmission(db, id); });
  if (!d.ok()) return Fail(d.status());
  if (cli.json) {
    json j = SummaryJson(d->summary);
    j.update({{"name", d->name},
              {"sha256", d->sha256},
              {"storage_key", d->storage_key},
              {"attempts", d->attempts},
              {"runner_id", d->runner_id},
              {"lease_until", OptJson(d->lease_until)},
              {"started_at", OptJson(d->started_at)},
              {"finished_at", OptJson(d->finished_at)},
              {"log", d->log},
              {"log_truncated", d->log_truncated},
              {"cpu_ms", OptJson(d->cpu_ms)},
              {"wall_ms", OptJson(d->wall_ms)},
              {"peak_memory_kb", OptJson(d->peak_memory_kb)},
              {"client_ip", d->client_ip}});
    json tests = json::array();
    for (const auto& t : d->tests) {
      tests.push_back({{"seq", t.seq},
                       {"name", t.name},
                       {"passed", t.passed},
                       {"score", OptJson(t.score)},
                       {"max_score", OptJson(t.max_score)},
                       {"message", t.message},
                       {"time_ms", OptJson(t.time_ms)},
                       {"memory_kb", OptJson(t.memory_kb)}});
    }
    j["tests"] = tests;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  const auto& s = d->summary;
  auto opt = [](const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : "-"; };
  std::cout << "id:        " << s.id << "\n"
            << "module:    " << s.course << "/" << s.module << "\n"
            << "student:   " << s.student_no << " " << d->name << " (token " << s.token << ")\n"
            << "received:  " << FormatDisplayTime(s.received_at) << (s.late ? " (late)" : "")
            << " from " << d->client_ip << "\n"
            << "file:      " << s.size_bytes << " bytes, sha256 " << d->sha256 << ", storage "
            << d->storage_key << "\n"
            << "status:    " << s.status << (s.verdict.empty() ? "" : " " + s.verdict)
            << (s.score ? " " + FormatScore(s.score) + "/" + FormatScore(s.max_score) : "")
            << ", attempts " << d->attempts << "\n";
  if (!d->runner_id.empty()) {
    std::cout << "runner:    " << d->runner_id << ", lease until " << FormatOptTime(d->lease_until)
              << "\n";
  }
  std::cout << "judged:    started " << FormatOptTime(d->started_at) << ", finished "
            << FormatOptTime(d->finished_at) << ", cpu " << opt(d->cpu_ms) << " ms, wall "
            << opt(d->wall_ms) << " ms, peak " << opt(d->peak_memory_kb) << " KB\n";
  if (!d->tests.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : d->tests) {
      rows.push_back({std::to_string(t.seq), t.name, t.passed ? "pass" : "FAIL",
                      t.score ? FormatScore(t.score) + "/" + FormatScore(t.max_score) : "",
                      t.message.substr(0, 80)});
    }
    PrintTable({"#", "TEST", "RESULT", "SCORE", "MESSAGE"}, rows);
  }
  if (!d->log.empty()) {
    std::cout << "log" << (d->log_truncated ? " (truncated)" : "") << ":\n" << d->log;
    if (d->log.back() != '\n') std::cout << "\n";
  }
  return kExitOk;
}

int Queue(Cli& cli) {
  auto q = cli.Report([](Database& d) { return ReadQueueOverview(d); });
  if (!q.ok()) return Fail(q.status());
  auto age = [&](SysTime t) {
    return std::chrono::duration_cast<std::chrono::seconds>(q->now - t);
  };
  if (cli.json) {
    json depth = json::object();
    for (const auto& [k, v] : q->depth) depth[k] = v;
    json running = json::array();
    for (const auto& r : q->running) {
      running.push_back({{"id", r.id},
                         {"course", r.course},
                         {"module", r.module},
                         {"runner_id", r.runner_id},
                         {"started_at", OptJson(r.started_at)},
                         {"lease_until", OptJson(r.lease_until)}});
    }
    json runners = json::array();
    for (const auto& r : q->runners) {
      runners.push_back({{"id", r.id},
                         {"host", r.host},
                         {"slot", r.slot},
                         {"state", r.state},
                         {"reason", r.reason},
                         {"submission_id", r.submission_id},
                         {"heartbeat_at", FormatIso8601(r.heartbeat_at)},
                         {"heartbeat_age_s", age(r.heartbeat_at).count()},
                         {"internal_errors", r.internal_errors}});
    }
    std::cout << json{{"depth", depth},
                      {"oldest_queued_age_s",
                       q->oldest_queued ? json(age(*q->oldest_queued).count()) : json(nullptr)},
                      {"running", running},
                      {"runners", runners}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::string depth;
  for (const auto& [k, v] : q->depth) depth += k + " " + std::to_string(v) + "  ";
  std::cout << "depth:   " << depth << "\n"
            << "oldest queued: "
            << (q->oldest_queued ? FormatAge(age(*q->oldest_queued)) + " (received " +
                                       FormatDisplayTime(*q->oldest_queued) + ")"
                                 : std::string("none"))
            << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : q->running) {
    rows.push_back({r.id, r.course + "/" + r.module, r.runner_id,
                    r.started_at ? FormatAge(age(*r.started_at)) : "",
                    FormatOptTime(r.lease_until)});
  }
  std::cout << "running jobs: " << rows.size() << "\n";
  if (!rows.empty()) PrintTable({"ID", "MODULE", "RUNNER", "RUNNING_FOR", "LEASE_UNTIL"}, rows);
  rows.clear();
  for (const auto& r : q->runners) {
    rows.push_back({r.id, r.host, std::to_string(r.slot), r.state, r.submission_id,
                    FormatAge(age(r.heartbeat_at)) + " ago", std::to_string(r.internal_errors),
                    r.reason});
  }
  std::cout << "\nrunners: " << rows.size() << "\n";
  if (!rows.empty()) {
    PrintTable({"RUNNER", "HOST", "SLOT", "STATE", "JOB", "HEARTBEAT", "ERRORS", "REASON"}, rows);
  }
  return kExitOk;
}

struct RejudgeOptions {
  std::vector<std::string> ids;
  std::string module, course;
  bool judge_errors = false;
};

int RejudgeCmd(Cli& cli, const RejudgeOptions& o) {
  int modes = (o.ids.empty() ? 0 : 1) + (o.module.empty() ? 0 : 1) + (o.judge_errors ? 1 : 0);
  if (modes != 1) {
    return BadInput("rejudge wants exactly one of: IDs, --module COURSE/MODULE, --judge-errors");
  }
  std::vector<std::string> sent;
  std::string target;
  for (const auto& id : o.ids) {
    if (!IsValidSubmissionId(id)) return BadInput("'" + id + "' is not a submission ID");
  }
  for (const auto& id : o.ids) {
    RejudgeSelection sel;
    sel.id = id;
    auto r = Rejudge(cli.db(), sel);
    if (!r.ok()) return Fail(r.status());
    cli.Audit("rejudge", id, "");
    sent.push_back(id);
  }
  if (o.ids.empty()) {
    RejudgeSelection sel;
    sel.judge_errors = o.judge_errors;
    sel.course = o.course;
    if (!o.module.empty()) {
      if (Status s = SplitModule(o.module, sel.course, sel.module); !s.ok()) return Fail(s);
    }
    auto r = Rejudge(cli.db(), sel);
    if (!r.ok()) return Fail(r.status());
    sent = *r;
    target = sel.module.empty() ? (sel.course.empty() ? "*" : sel.course)
                                : sel.course + "/" + sel.module;
    std::string detail = std::string(o.judge_errors ? "judge errors" : "done and judge errors") +
                         ": " + std::to_string(sent.size()) + " submissions";
    for (size_t i = 0; i < sent.size() && i < 50; ++i) detail += (i ? "," : " ") + sent[i];
    cli.Audit("rejudge", target, detail);
  }
  if (!sent.empty()) NotifyQueue(cli.cfg.paths.run_dir);
  if (cli.json) {
    std::cout << json{{"requeued", sent}}.dump() << "\n";
  } else {
    std::cout << "requeued " << sent.size() << " submission(s)\n";
  }
  return kExitOk;
}

int CancelCmd(Cli& cli, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (!IsValidSubmissionId(id)) return BadInput("'" + id + "' is not a submission ID");
  }
  for (const auto& id : ids) {
    if (Status s = CancelSubmission(cli.db(), id); !s.ok()) return Fail(s);
    cli.Audit("cancel", id, "");
    std::cout << "cancelled " << id << "\n";
  }
  return kExitOk;
}

struct ScoresOptions {
  std::string course, module;
  std::vector<std::string> args;
};

int ScoresExport(Cli& cli, ScoresOptions o) {
  if (o.course.empty() && o.module.find('/') != std::string::npos) {
    if (Status s = SplitModule(o.module, o.course, o.module); !s.ok()) return Fail(s);
  }
  if (o.course.empty() && o.module.empty() && o.args.size() == 2) {
    o.course = o.args[0];
    o.module = o.args[1];
  } else if (!o.args.empty() || o.course.empty() || o.module.empty()) {
    return BadInput("usage: ojctl scores export --course C --module M  (or: scores export C M)");
  }
  json j = json::array();
  if (!cli.json) {
    std::cout << "student_no,name,submissions,latest_score,best_score,max_score,late,best_late,"
                 "latest_status,latest_id\n";
  }
  uint32_t n = 0;
  // Rows stream out as they are read: after a replica failure mid-way, the primary
  // is not asked again (the output would repeat rows); run the export again.
  Status s = cli.Report([&](Database& d) -> Status {
    if (n > 0) return Status::Unavailable("the replica failed during the export; run it again");
    return ExportScores(d, o.course, o.module, [&](const ScoreRow& r) {
      ++n;
      if (cli.json) {
        j.push_back({{"student_no", r.student_no},
                     {"name", r.name},
                     {"submissions", r.submissions},
                     {"latest_score", OptJson(r.latest_score)},
                     {"best_score", OptJson(r.best_score)},
                     {"max_score", OptJson(r.max_score)},
                     {"late", r.latest_late},
                     {"best_late", r.best_late},
                     {"latest_status", r.latest_status},
                     {"latest_id", r.latest_id}});
        return;
      }
      std::cout << CsvField(r.student_no) << "," << CsvField(r.name) << "," << r.submissions << ","
                << FormatScore(r.latest_score) << "," << FormatScore(r.best_score) << ","
                << FormatScore(r.max_score) << "," << (r.latest_late ? 1 : 0) << ","
                << (r.best_late ? 1 : 0) << "," << r.latest_status << "," << r.latest_id << "\n";
    });
  });
  if (!s.ok()) return Fail(s);
  if (cli.json) std::cout << j.dump(2) << "\n";
  cli.Audit("scores.export", o.course + "/" + o.module, std::to_string(n) + " students");
  return kExitOk;
}

}  // namespace

void AddSubmissionCommands(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("sub", "submissions: list, show");
  sub->require_subcommand(1);
  auto* list = sub->add_subcommand("list", "list submissions, newest first");
  auto lo = std::make_shared<ListOptions>();
  list->add_option("--course", lo->f.course, "course code");
  list->add_option("--module", lo->f.module, "module code (with --course), or COURSE/MODULE");
  list->add_option("--token", lo->f.token, "a student's token");
  list->add_option("--status", lo->f.status,
                   "queued, running, done, superseded, cancelled or judge_error");
  list->add_option("--since", lo->since, "received at or after: now-2h, \"YYYY-MM-DD HH:MM\"...");
  list->add_option("--until", lo->until, "received before, same forms");
  list->add_option("--limit", lo->f.limit, "at most this many rows (default 50)")
      ->check(CLI::Range(1u, kMaxListLimit));
  list->callback([&cli, lo] { cli.run = [&cli, lo] { return SubList(cli, *lo); }; });
  auto* show = sub->add_subcommand("show", "one submission in full: tests, log, timings");
  auto id = std::make_shared<std::string>();
  show->add_option("id", *id, "submission ID")->required();
  show->callback([&cli, id] { cli.run = [&cli, id] { return SubShow(cli, *id); }; });

  auto* queue = app.add_subcommand(
      "queue", "judge queue: depth by status, oldest queued age, running jobs, runner heartbeats");
  queue->callback([&cli] { cli.run = [&cli] { return Queue(cli); }; });

  auto* rejudge =
      app.add_subcommand("rejudge",
                         "send submissions back to the queue (after fixing a judge): IDs, a whole "
                         "module, or every judge error");
  auto ro = std::make_shared<RejudgeOptions>();
  rejudge->add_option("ids", ro->ids, "submission IDs");
  rejudge->add_option("--module", ro->module,
                      "COURSE/MODULE: every done and judge_error submission of the module");
  rejudge->add_flag("--judge-errors", ro->judge_errors,
                    "every judge_error submission (narrow with --course)");
  rejudge->add_option("--course", ro->course, "with --judge-errors: only this course");
  rejudge->callback([&cli, ro] { cli.run = [&cli, ro] { return RejudgeCmd(cli, *ro); }; });

  auto* cancel =
      app.add_subcommand("cancel", "cancel queued submissions (they will not be judged)");
  auto cids = std::make_shared<std::vector<std::string>>();
  cancel->add_option("ids", *cids, "submission IDs")->required();
  cancel->callback([&cli, cids] { cli.run = [&cli, cids] { return CancelCmd(cli, *cids); }; });

  auto* scores = app.add_subcommand("scores", "grades");
  scores->require_subcommand(1);
  auto* exp = scores->add_subcommand(
      "export",
      "CSV per student of a module: submission count, latest and best score, late "
      "flags (latest and best)");
  auto so = std::make_shared<ScoresOptions>();
  exp->add_option("--course", so->course, "course code");
  exp->add_option("--module", so->module, "module code, or COURSE/MODULE");
  exp->add_option("args", so->args, "[COURSE MODULE]")->expected(0, 2);
  exp->callback([&cli, so] { cli.run = [&cli, so] { return ScoresExport(cli, *so); }; });
}

}  // namespace oj::ctl
