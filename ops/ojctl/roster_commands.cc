// ojctl roster import, token export|disable|enable|rotate.
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/admin_store.h"
#include "core/roster_store.h"
#include "ops/ojctl/cli.h"
#include "ops/ojctl/roster_csv.h"

namespace oj::ctl {
namespace {

// "C FILE" or "--course C FILE" (and "--course C" for export): the course may be
// positional or an option, never both.
Result<std::pair<std::string, std::string>> CourseAndArg(const std::string& course_opt,
                                                         const std::vector<std::string>& pos,
                                                         size_t want_args, const char* usage) {
  if (!course_opt.empty() && pos.size() == want_args) {
    return std::make_pair(course_opt, want_args ? pos[0] : "");
  }
  if (course_opt.empty() && pos.size() == want_args + 1) {
    return std::make_pair(pos[0], want_args ? pos[1] : "");
  }
  return Status::InvalidArgument(std::string("usage: ") + usage);
}

Result<uint32_t> CourseId(Cli& cli, const std::string& code) {
  auto c = FindCourse(cli.db(), code);
  if (!c.ok()) return c.status();
  if (!*c) {
    return Status::NotFound("no course '" + code + "'; add it with `ojctl course add " + code +
                            "` (see `ojctl course list`)");
  }
  return (*c)->id;
}

Result<std::string> ReadRosterFile(const std::string& path, size_t max_bytes) {
  if (path == "-") {
    std::string text(std::istreambuf_iterator<char>(std::cin), {});
    return text;
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::NotFound("cannot read roster file '" + path + "': no such file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status::InvalidArgument(path + ": " + std::to_string(st.st_size) +
                                   " bytes; a roster may be at most " + std::to_string(max_bytes));
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot open roster file '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct ImportOptions {
  std::string course;
  std::vector<std::string> args;
  bool dry_run = false;
};

int RosterImport(Cli& cli, const ImportOptions& o) {
  auto ca = CourseAndArg(o.course, o.args, 1,
                         "ojctl roster import --course C FILE.csv  (or: roster import C FILE.csv)");
  if (!ca.ok()) return Fail(ca.status());
  const auto& [course, path] = *ca;
  RosterLimits limits;
  auto text = ReadRosterFile(path, limits.max_bytes);
  if (!text.ok()) return Fail(text.status());
  RosterParse parsed = ParseRoster(*text, limits);
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) {
      std::cerr << path << ":" << (e.line ? std::to_string(e.line) + ":" : "") << " " << e.message
                << "\n";
    }
    std::cerr << "ojctl: " << parsed.errors.size()
              << " problem(s) in the roster; nothing was imported. Fix the lines above and "
                 "import again.\n";
    return kExitBadInput;
  }
  auto course_id = CourseId(cli, course);
  if (!course_id.ok()) return Fail(course_id.status());
  if (o.dry_run) {
    std::cout << parsed.entries.size() << " students read from " << path
              << "; nothing imported (--dry-run)\n";
    return kExitOk;
  }
  std::vector<RosterStudent> roster;
  roster.reserve(parsed.entries.size());
  for (auto& e : parsed.entries) roster.push_back({std::move(e.student_no), std::move(e.name)});
  auto r = ImportRoster(cli.db(), *course_id, roster);
  if (!r.ok()) return Fail(r.status());
  std::string summary = std::to_string(r->added) + " added, " + std::to_string(r->renamed) +
                        " renamed, " + std::to_string(r->unchanged) + " unchanged";
  cli.Audit("roster.import", course, path + ": " + summary);
  if (cli.json) {
    std::cout << nlohmann::json{{"course", course},
                                {"added", r->added},
                                {"renamed", r->renamed},
                                {"unchanged", r->unchanged}}
                     .dump()
              << "\n";
  } else {
    std::cout << "roster " << course << ": " << summary << "; tokens: `ojctl token export --course "
              << course << "`\n";
  }
  return kExitOk;
}

struct ExportOptions {
  std::string course;
  std::vector<std::string> args;
  bool all = false;
};

int TokenExport(Cli& cli, const ExportOptions& o) {
  auto ca =
      CourseAndArg(o.course, o.args, 0, "ojctl token export --course C  (or: token export C)");
  if (!ca.ok()) return Fail(ca.status());
  const std::string& course = ca->first;
  auto course_id = CourseId(cli, course);
  if (!course_id.ok()) return Fail(course_id.status());
  auto students = ListStudents(cli.db(), *course_id);
  if (!students.ok()) return Fail(students.status());
  cli.Audit("token.export", course, std::to_string(students->size()) + " students");
  if (cli.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : *students) {
      j.push_back({{"student_no", s.student_no},
                   {"name", s.name},
                   {"token", s.token},
                   {"enabled", s.enabled}});
    }
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << (o.all ? "student_no,name,token,enabled\n" : "student_no,name,token\n");
  for (const auto& s : *students) {
    if (!s.enabled && !o.all) continue;
    std::cout << CsvField(s.student_no) << "," << CsvField(s.name) << "," << s.token;
    if (o.all) std::cout << "," << (s.enabled ? 1 : 0);
    std::cout << "\n";
  }
  return kExitOk;
}

struct TokenOptions {
  std::string token, course, student;
};

Result<StudentRef> ReadRef(const TokenOptions& o) {
  if (!o.token.empty() && o.course.empty() && o.student.empty()) return StudentRef{o.token, "", ""};
  if (o.token.empty() && !o.course.empty() && !o.student.empty()) {
    return StudentRef{"", o.course, o.student};
  }
  return Status::InvalidArgument("name the student by TOKEN or by --course C --student NO");
}

void PrintStudent(const Cli& cli, const StudentInfo& s, const char* what) {
  if (cli.json) {
    std::cout << nlohmann::json{{"course", s.course},
                                {"student_no", s.student_no},
                                {"name", s.name},
                                {"token", s.token},
                                {"enabled", s.enabled}}
                     .dump()
              << "\n";
  } else {
    std::cout << s.course << " " << s.student_no << " " << s.token << " " << what << "\n";
  }
}

void AddTokenAction(CLI::App& group, Cli& cli, const char* name, const char* help) {
  auto* cmd = group.add_subcommand(name, help);
  auto o = std::make_shared<TokenOptions>();
  cmd->add_option("token", o->token, "the student's token");
  cmd->add_option("--course", o->course, "course code (with --student)");
  cmd->add_option("--student", o->student, "student number (with --course)");
  std::string action = name;
  cmd->callback([&cli, o, action] {
    cli.run = [&cli, o, action] {
      auto ref = ReadRef(*o);
      if (!ref.ok()) return Fail(ref.status());
      Result<StudentInfo> r = Status::Internal("unset");
      std::string old = ref->token;
      if (action == "rotate") {
        if (old.empty()) {
          auto cur = FindStudent(cli.db(), *ref);
          if (!cur.ok()) return Fail(cur.status());
          old = cur->token;
        }
        r = RotateToken(cli.db(), *ref);
      } else {
        r = SetTokenEnabled(cli.db(), *ref, action == "enable");
      }
      if (!r.ok()) return Fail(r.status());
      cli.Audit("token." + action, r->course + "/" + r->student_no,
                action == "rotate" ? "replaced token " + old : "token " + r->token);
      if (action == "rotate") {
        if (cli.json) {
          PrintStudent(cli, *r, "");
        } else {
          std::cout << r->token << "\n";
        }
      } else {
        PrintStudent(cli, *r, r->enabled ? "enabled" : "disabled");
      }
      return kExitOk;
    };
  });
}

}  // namespace

void AddRosterCommands(CLI::App& app, Cli& cli) {
  auto* roster = app.add_subcommand("roster", "rosters: import a class list");
  roster->require_subcommand(1);
  auto* imp = roster->add_subcommand(
      "import",
      "import FILE.csv (header student_no,name) into a course: new students get tokens from "
      "the kernel CSPRNG, existing ones keep theirs; all or nothing");
  auto io = std::make_shared<ImportOptions>();
  imp->add_option("--course", io->course, "course code (or give it before FILE)");
  imp->add_option("args", io->args, "[COURSE] FILE.csv ('-' reads stdin)")
      ->required()
      ->expected(1, 2);
  imp->add_flag("--dry-run", io->dry_run, "check the file and the course; change nothing");
  imp->callback([&cli, io] { cli.run = [&cli, io] { return RosterImport(cli, *io); }; });

  auto* token = app.add_subcommand("token", "tokens: export, disable, enable, rotate");
  token->require_subcommand(1);
  auto* exp = token->add_subcommand(
      "export", "CSV student_no,name,token of a course's enabled students, for mail-merge");
  auto eo = std::make_shared<ExportOptions>();
  exp->add_option("--course", eo->course, "course code (or give it as the argument)");
  exp->add_option("course_arg", eo->args, "[COURSE]")->expected(0, 1);
  exp->add_flag("--all", eo->all, "include disabled tokens, with an enabled column");
  exp->callback([&cli, eo] { cli.run = [&cli, eo] { return TokenExport(cli, *eo); }; });
  AddTokenAction(*token, cli, "disable", "disable a token: its uploads get 'Invalid token!'");
  AddTokenAction(*token, cli, "enable", "enable a disabled token again");
  AddTokenAction(*token, cli, "rotate",
                 "give the student a new token (the old one stops working); prints it");
}

}  // namespace oj::ctl
