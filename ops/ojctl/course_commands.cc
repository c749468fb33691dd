// ojctl course add|list, module add|set|list, student add.
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/admin_store.h"
#include "core/ids.h"
#include "core/staff_store.h"
#include "ops/ojctl/cli.h"

namespace oj::ctl {
namespace {

struct ModuleOptions {
  std::string course, code, title, opens, deadline, late_until, size_limit, judge_dir, supersede;
  bool close_now = false, reopen = false;
};

std::string ModuleState(const ModuleListRow& m, SysTime now) {
  if (m.closed) return "closed";
  if (now < m.opens_at) return "not-open";
  if (now <= m.deadline) return "open";
  if (m.late_until && now <= *m.late_until) return "late";
  return "past";
}

void AddCourse(CLI::App& group, Cli& cli) {
  auto* add = group.add_subcommand("add", "add a course, or change its title");
  auto code = std::make_shared<std::string>();
  auto title = std::make_shared<std::string>();
  add->add_option("code", *code, "course code, 1-32 of [A-Za-z0-9_-], e.g. ICS2024")->required();
  add->add_option("--title", *title, "title shown to students (kept when omitted)");
  add->callback([&cli, code, title] {
    cli.run = [&cli, code, title] {
      auto id = UpsertCourse(cli.db(), *code, *title);
      if (!id.ok()) return Fail(id.status());
      cli.Audit("course.add", *code, *title);
      if (cli.json) {
        std::cout << nlohmann::json{{"code", *code}, {"id", *id}}.dump() << "\n";
      } else {
        std::cout << "course " << *code << " (id " << *id << ")\n";
      }
      return kExitOk;
    };
  });

  auto* list = group.add_subcommand("list", "list courses");
  list->callback([&cli] {
    cli.run = [&cli] {
      auto courses = cli.Report([](Database& d) { return ListCourses(d); });
      if (!courses.ok()) return Fail(courses.status());
      if (cli.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : *courses) j.push_back({{"code", c.code}, {"title", c.title}});
        std::cout << j.dump(2) << "\n";
        return kExitOk;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : *courses) rows.push_back({c.code, c.title});
      PrintTable({"CODE", "TITLE"}, rows);
      return kExitOk;
    };
  });
}

// Reads the options shared by `module add` and `module set` into a patch.
Status ReadPatch(const ModuleOptions& o, ModulePatch& p) {
  auto time = [](const std::string& opt, const std::string& v, std::optional<SysTime>& out) {
    if (v.empty()) return Status::Ok();
    auto t = ParseTimeOption(opt, v);
    if (!t.ok()) return t.status();
    out = *t;
    return Status::Ok();
  };
  if (!o.title.empty()) p.title = o.title;
  if (Status s = time("--opens", o.opens, p.opens_at); !s.ok()) return s;
  if (Status s = time("--deadline", o.deadline, p.deadline); !s.ok()) return s;
  if (o.late_until == "none") {
    p.late_until = std::optional<SysTime>();
  } else if (!o.late_until.empty()) {
    std::optional<SysTime> l;
    if (Status s = time("--late-until", o.late_until, l); !s.ok()) return s;
    p.late_until = l;
  }
  if (!o.size_limit.empty()) {
    auto n = ParseSizeOption("--size-limit", o.size_limit);
    if (!n.ok()) return n.status();
    p.size_limit_bytes = *n;
  }
  if (!o.judge_dir.empty()) p.judge_dir = o.judge_dir;
  if (!o.supersede.empty()) {
    auto b = ParseOnOff("--supersede", o.supersede);
    if (!b.ok()) return b.status();
    p.supersede = *b;
  }
  if (o.close_now) p.closed = true;
  if (o.reopen) p.closed = false;
  return Status::Ok();
}

void AddModuleOptions(CLI::App* cmd, ModuleOptions& o) {
  cmd->add_option("course", o.course, "course code")->required();
  cmd->add_option("code", o.code, "module code, e.g. PA1")->required();
  cmd->add_option("--title", o.title, "title shown to students");
  cmd->add_option("--opens", o.opens,
                  "opening time: now, now-1d, \"YYYY-MM-DD HH:MM\" in the display zone, or with "
                  "a zone: \"2024-10-01 08:00+08:00\", \"...Z\"");
  cmd->add_option("--deadline", o.deadline, "deadline, same forms");
  cmd->add_option("--late-until", o.late_until,
                  "end of the late window (uploads marked late), same forms; 'none' for no "
                  "late window");
  cmd->add_option("--size-limit", o.size_limit, "upload limit: bytes or 512K, 12M, 1G");
  cmd->add_option("--judge-dir", o.judge_dir,
                  "judge directory holding judge.toml, relative to paths.judges_dir");
  cmd->add_option("--supersede", o.supersede,
                  "on: a new upload replaces the student's queued ones; off: judge every upload");
}

int ModuleAdd(Cli& cli, const ModuleOptions& o) {
  ModulePatch p;
  if (Status s = ReadPatch(o, p); !s.ok()) return Fail(s);
  if (!p.deadline) return BadInput("--deadline is required when adding a module");
  ModuleSpec spec;
  spec.course = o.course;
  spec.code = o.code;
  spec.title = p.title.value_or("");
  spec.opens_at = p.opens_at.value_or(std::chrono::system_clock::now());
  spec.deadline = *p.deadline;
  if (p.late_until) spec.late_until = *p.late_until;
  spec.size_limit_bytes = p.size_limit_bytes.value_or(cli.cfg.upload.max_body_bytes);
  spec.judge_dir = p.judge_dir.value_or("");
  spec.supersede = p.supersede.value_or(true);
  if (spec.deadline < spec.opens_at) return BadInput("--deadline is before --opens");
  if (spec.late_until && *spec.late_until < spec.deadline) {
    return BadInput("--late-until is before --deadline");
  }
  if (spec.size_limit_bytes > cli.cfg.upload.max_body_bytes) {
    std::cerr << "ojctl: warning: --size-limit " << FormatBytes(spec.size_limit_bytes)
              << " is above upload.max_body_bytes " << FormatBytes(cli.cfg.upload.max_body_bytes)
              << "; nginx will refuse uploads above the latter\n";
  }
  if (Status s = UpsertModule(cli.db(), spec); !s.ok()) return Fail(s);
  cli.Audit("module.add", o.course + "/" + o.code,
            "deadline " + FormatDbTime(spec.deadline) + " judge_dir " + spec.judge_dir);
  std::cout << "module " << o.course << "/" << o.code << " deadline "
            << FormatDisplayTime(spec.deadline) << "\n";
  return kExitOk;
}

int ModuleSet(Cli& cli, const ModuleOptions& o, const std::vector<std::string>& given) {
  ModulePatch p;
  if (Status s = ReadPatch(o, p); !s.ok()) return Fail(s);
  if (given.empty()) return BadInput("nothing to change; see `ojctl module set --help`");
  if (Status s = PatchModule(cli.db(), o.course, o.code, p); !s.ok()) return Fail(s);
  std::string detail;
  for (const auto& g : given) detail += (detail.empty() ? "" : " ") + g;
  cli.Audit(o.close_now ? "module.close"
            : o.reopen  ? "module.open"
                        : "module.set",
            o.course + "/" + o.code, detail);
  std::cout << "module " << o.course << "/" << o.code << " updated: " << detail << "\n";
  return kExitOk;
}

int ModuleList(Cli& cli, const std::string& course) {
  auto c = cli.Report([&](Database& d) { return FindCourse(d, course); });
  if (!c.ok()) return Fail(c.status());
  if (!*c) return Fail(Status::NotFound("no course '" + course + "'; see `ojctl course list`"));
  auto mods = cli.Report([&](Database& d) { return ListModules(d, course); });
  if (!mods.ok()) return Fail(mods.status());
  SysTime now = std::chrono::system_clock::now();
  if (cli.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& m : *mods) {
      j.push_back({{"code", m.code},
                   {"title", m.title},
                   {"opens_at", FormatIso8601(m.opens_at)},
                   {"deadline", FormatIso8601(m.deadline)},
                   {"late_until", m.late_until ? FormatIso8601(*m.late_until) : ""},
                   {"closed", m.closed},
                   {"state", ModuleState(m, now)},
                   {"size_limit_bytes", m.size_limit_bytes},
                   {"judge_dir", m.judge_dir},
                   {"supersede", m.supersede},
                   {"grace", m.grace_policy}});
    }
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : *mods) {
    rows.push_back({m.code, ModuleState(m, now), FormatDisplayTime(m.opens_at),
                    FormatDisplayTime(m.deadline), FormatOptTime(m.late_until),
                    FormatBytes(m.size_limit_bytes), m.supersede ? "on" : "off", m.grace_policy,
                    m.judge_dir, m.title});
  }
  PrintTable({"CODE", "STATE", "OPENS", "DEADLINE", "LATE_UNTIL", "SIZE", "SUPERSEDE", "GRACE",
              "JUDGE_DIR", "TITLE"},
             rows);
  return kExitOk;
}

void AddModule(CLI::App& group, Cli& cli) {
  auto* add = group.add_subcommand("add", "add a module, or replace all its settings");
  auto ao = std::make_shared<ModuleOptions>();
  AddModuleOptions(add, *ao);
  add->callback([&cli, ao] { cli.run = [&cli, ao] { return ModuleAdd(cli, *ao); }; });

  auto* set = group.add_subcommand(
      "set", "change some settings of a module (others are kept); close or reopen it");
  auto so = std::make_shared<ModuleOptions>();
  AddModuleOptions(set, *so);
  auto* close = set->add_flag("--close-now", so->close_now,
                              "close the module now: uploads get 'closed since'");
  set->add_flag("--open", so->reopen, "reopen a module closed with --close-now")->excludes(close);
  set->callback([&cli, so, set] {
    std::vector<std::string> given;
    for (const CLI::Option* opt : set->get_options()) {
      if (opt->get_positional() || opt->count() == 0 || opt->get_name() == "--help") continue;
      std::string v = opt->get_type_size() == 0 ? "" : "=" + opt->as<std::string>();
      given.push_back(opt->get_name() + v);
    }
    cli.run = [&cli, so, given] { return ModuleSet(cli, *so, given); };
  });

  auto* list = group.add_subcommand("list", "list a course's modules with their state");
  auto course = std::make_shared<std::string>();
  list->add_option("course", *course, "course code")->required();
  list->callback([&cli, course] { cli.run = [&cli, course] { return ModuleList(cli, *course); }; });
}

void AddStudent(CLI::App& group, Cli& cli) {
  auto* add =
      group.add_subcommand("add", "add one student (keeps an existing token); prints the token");
  struct Opts {
    std::string course, no, name;
  };
  auto o = std::make_shared<Opts>();
  add->add_option("course", o->course, "course code")->required();
  add->add_option("student_no", o->no, "student number")->required();
  add->add_option("--name", o->name, "name");
  add->callback([&cli, o] {
    cli.run = [&cli, o] {
      auto course = FindCourse(cli.db(), o->course);
      if (!course.ok()) return Fail(course.status());
      if (!*course) return Fail(Status::NotFound("no course '" + o->course + "'"));
      auto token = EnsureStudent(cli.db(), (*course)->id, o->no, o->name);
      if (!token.ok()) return Fail(token.status());
      cli.Audit("student.add", o->course + "/" + o->no, o->name);
      std::cout << *token << "\n";
      return kExitOk;
    };
  });
}

}  // namespace

void AddCourseCommands(CLI::App& app, Cli& cli) {
  auto* course = app.add_subcommand("course", "courses: add, list");
  course->require_subcommand(1);
  AddCourse(*course, cli);
  auto* module = app.add_subcommand("module", "modules (assignments): add, set, list");
  module->require_subcommand(1);
  AddModule(*module, cli);
  auto* student = app.add_subcommand("student", "single students (see also `roster import`)");
  student->require_subcommand(1);
  AddStudent(*student, cli);
}

}  // namespace oj::ctl
