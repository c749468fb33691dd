// ojctl: the admin CLI for course staff and operators. Usage: ojctl --help
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/admin_store.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/fs.h"
#include "core/migrate.h"
#include "core/nginx_render.h"
#include "ops/ojctl/time_arg.h"

namespace {

int Fail(const oj::Status& s) {
  std::cerr << "ojctl: " << s.message() << "\n";
  return 1;
}

std::string DefaultConfigPath() {
  if (const char* env = std::getenv("OJ_CONFIG")) return env;
  if (std::filesystem::exists("var/oj.toml")) return "var/oj.toml";
  return "/etc/oj/oj.toml";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ojctl: manage the OJ submission server (courses, modules, rosters, database)"};
  app.require_subcommand(1);
  std::string config_path = DefaultConfigPath();
  app.add_option("--config", config_path, "configuration file (default: $OJ_CONFIG, var/oj.toml, /etc/oj/oj.toml)");
  bool json = false;
  app.add_flag("--json", json, "machine-readable output");

  auto* db_cmd = app.add_subcommand("db", "database schema");
  db_cmd->require_subcommand(1);
  auto* migrate = db_cmd->add_subcommand("migrate", "apply pending sql/NNNN_*.sql migrations");
  std::string sql_dir = std::string(OJ_SOURCE_DIR) + "/sql";
  migrate->add_option("--sql-dir", sql_dir, "directory of migrations");

  auto* nginx_cmd = app.add_subcommand("nginx", "nginx configuration");
  nginx_cmd->require_subcommand(1);
  auto* render = nginx_cmd->add_subcommand("render", "render nginx.conf from the configuration");
  std::string out_path;
  render->add_option("--out", out_path, "write here instead of stdout");
  bool as_root = geteuid() == 0;
  render->add_flag("--as-root,!--no-root", as_root, "add `user root root;` (default when root)");

  auto* course_cmd = app.add_subcommand("course", "courses");
  course_cmd->require_subcommand(1);
  auto* course_add = course_cmd->add_subcommand("add", "add a course (or retitle it)");
  std::string course_code, course_title;
  course_add->add_option("code", course_code, "course code, e.g. ICS2024")->required();
  course_add->add_option("--title", course_title, "title shown to students");
  auto* course_list = course_cmd->add_subcommand("list", "list courses");

  auto* module_cmd = app.add_subcommand("module", "modules (assignments)");
  module_cmd->require_subcommand(1);
  auto* module_add = module_cmd->add_subcommand("add", "add a module or replace its settings");
  oj::ModuleSpec spec;
  std::string opens = "now", deadline, late_until;
  module_add->add_option("course", spec.course, "course code")->required();
  module_add->add_option("code", spec.code, "module code, e.g. PA1")->required();
  module_add->add_option("--title", spec.title, "title");
  module_add->add_option("--opens", opens, "opening time: now, now+2h, \"YYYY-MM-DD HH:MM\"");
  module_add->add_option("--deadline", deadline, "deadline, same forms")->required();
  module_add->add_option("--late-until", late_until, "end of the late window, same forms");
  module_add->add_option("--size-limit", spec.size_limit_bytes, "upload limit in bytes");
  module_add->add_option("--judge-dir", spec.judge_dir, "judge directory (judge.toml inside)");
  module_add->add_option("--supersede", spec.supersede, "a new upload supersedes queued ones (1/0)");

  auto* module_list = module_cmd->add_subcommand("list", "list a course's modules");
  std::string list_course;
  module_list->add_option("course", list_course, "course code")->required();

  auto* student_cmd = app.add_subcommand("student", "students");
  student_cmd->require_subcommand(1);
  auto* student_add = student_cmd->add_subcommand("add", "add a student; prints the token");
  std::string st_course, st_no, st_name;
  student_add->add_option("course", st_course, "course code")->required();
  student_add->add_option("student_no", st_no, "student number")->required();
  student_add->add_option("--name", st_name, "name");

  CLI11_PARSE(app, argc, argv);

  auto cfg = oj::LoadConfig(config_path);
  if (!cfg.ok()) return Fail(cfg.status());
  oj::SetDisplayTimeZone(cfg->server.display_timezone);

  if (render->parsed()) {
    auto text = oj::RenderNginxConfig(*cfg, as_root);
    if (!text.ok()) return Fail(text.status());
    if (out_path.empty()) {
      std::cout << *text;
      return 0;
    }
    oj::Status s = oj::WriteFileAtomic(out_path, *text, 0644);
    return s.ok() ? 0 : Fail(s);
  }

  oj::Database db(cfg->database);
  if (migrate->parsed()) {
    auto applied = oj::Migrate(db, sql_dir);
    if (!applied.ok()) return Fail(applied.status());
    if (applied->empty()) std::cout << "schema is up to date\n";
    for (const auto& n : *applied) std::cout << "applied " << n << "\n";
    return 0;
  }
  if (course_add->parsed()) {
    auto id = oj::UpsertCourse(db, course_code, course_title);
    if (!id.ok()) return Fail(id.status());
    (void)oj::Audit(db, "ojctl", "course.add", course_code, course_title);
    std::cout << "course " << course_code << " (id " << *id << ")\n";
    return 0;
  }
  if (course_list->parsed()) {
    auto courses = oj::ListCourses(db);
    if (!courses.ok()) return Fail(courses.status());
    if (json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& c : *courses) j.push_back({{"code", c.code}, {"title", c.title}});
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("%-16s %s\n", "CODE", "TITLE");
      for (const auto& c : *courses) std::printf("%-16s %s\n", c.code.c_str(), c.title.c_str());
    }
    return 0;
  }
  if (module_add->parsed()) {
    auto now = std::chrono::system_clock::now();
    auto o = oj::ParseTimeArg(opens, now);
    auto d = oj::ParseTimeArg(deadline, now);
    if (!o) return Fail(oj::Status::InvalidArgument("--opens: cannot read time '" + opens + "'"));
    if (!d) return Fail(oj::Status::InvalidArgument("--deadline: cannot read time '" + deadline + "'"));
    spec.opens_at = *o;
    spec.deadline = *d;
    if (!late_until.empty()) {
      auto l = oj::ParseTimeArg(late_until, now);
      if (!l) return Fail(oj::Status::InvalidArgument("--late-until: cannot read time '" + late_until + "'"));
      spec.late_until = *l;
    }
    oj::Status s = oj::UpsertModule(db, spec);
    if (!s.ok()) return Fail(s);
    (void)oj::Audit(db, "ojctl", "module.add", spec.course + "/" + spec.code, "");
    std::cout << "module " << spec.course << "/" << spec.code << " deadline "
              << oj::FormatDisplayTime(spec.deadline) << "\n";
    return 0;
  }
  if (module_list->parsed()) {
    auto mods = oj::ListModules(db, list_course);
    if (!mods.ok()) return Fail(mods.status());
    if (json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& m : *mods) {
        j.push_back({{"code", m.code}, {"title", m.title},
                     {"opens_at", oj::FormatIso8601(m.opens_at)},
                     {"deadline", oj::FormatIso8601(m.deadline)},
                     {"late_until", m.late_until ? oj::FormatIso8601(*m.late_until) : ""},
                     {"closed", m.closed}, {"size_limit_bytes", m.size_limit_bytes},
                     {"judge_dir", m.judge_dir}, {"supersede", m.supersede}});
      }
      std::cout << j.dump(2) << "\n";
    } else {
      for (const auto& m : *mods) {
        std::printf("%-12s opens %s  deadline %s  %s%s\n", m.code.c_str(),
                    oj::FormatDisplayTime(m.opens_at).c_str(),
                    oj::FormatDisplayTime(m.deadline).c_str(), m.closed ? "closed " : "",
                    m.judge_dir.c_str());
      }
    }
    return 0;
  }
  if (student_add->parsed()) {
    auto course = oj::FindCourse(db, st_course);
    if (!course.ok()) return Fail(course.status());
    if (!*course) return Fail(oj::Status::NotFound("no course '" + st_course + "'"));
    auto token = oj::EnsureStudent(db, (*course)->id, st_no, st_name);
    if (!token.ok()) return Fail(token.status());
    std::cout << *token << "\n";
    return 0;
  }
  return 0;
}
