// ojctl db migrate, nginx render, check, audit list.
#include <cppconn/prepared_statement.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/admin_store.h"
#include "core/archive_link.h"
#include "core/fs.h"
#include "core/migrate.h"
#include "core/nginx_render.h"
#include "ops/ojctl/check.h"
#include "ops/ojctl/cli.h"

namespace oj::ctl {
namespace {

struct CheckOptions {
  std::string nginx_conf;
  std::string sql_dir = std::string(OJ_SOURCE_DIR) + "/sql";
};

int Check(Cli& cli, const CheckOptions& o) {
  std::vector<CheckResult> results;
  auto cfg = LoadConfig(cli.config_path);
  if (!cfg.ok()) {
    results.push_back({"config", CheckResult::Level::kFail,
                       cli.config_path + ": " + cfg.status().message(),
                       "fix the key named above (every key is documented in ops/oj.example.toml)"});
  } else {
    cli.cfg = *cfg;
    results.push_back({"config", CheckResult::Level::kOk, cli.config_path + " is valid", ""});
    const Config& c = cli.cfg;
    CheckResult db = CheckDatabase(cli.db(), o.sql_dir);
    results.push_back(db);
    std::string conf =
        o.nginx_conf.empty()
            ? (std::filesystem::path(c.paths.var_dir) / "nginx" / "nginx.conf").string()
            : o.nginx_conf;
    results.push_back(CheckNginx(c, conf));
    if (db.level == CheckResult::Level::kOk) results.push_back(CheckModuleLimits(c, cli.db()));
    results.push_back(CheckStorage(c));
    results.push_back(CheckDirectory("log directory", c.paths.log_dir, true, "paths.log_dir"));
    results.push_back(
        CheckDirectory("judge work directory", c.runner.work_dir, true, "runner.work_dir"));
    results.push_back(CheckDirectory("judges", c.paths.judges_dir, false, "paths.judges_dir"));
    HostPaths host;
    results.push_back(CheckBwrap(host));
    results.push_back(CheckUserNamespaces(host));
    results.push_back(CheckCgroups(host));
    results.push_back(CheckPressure(c));
  }
  bool failed = false;
  for (const auto& r : results) failed |= r.level == CheckResult::Level::kFail;
  if (cli.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : results) {
      j.push_back({{"check", r.name},
                   {"result", LevelName(r.level)},
                   {"detail", r.detail},
                   {"hint", r.hint}});
    }
    std::cout << j.dump(2) << "\n";
  } else {
    for (const auto& r : results) {
      std::printf("%-4s  %-24s %s\n", LevelName(r.level), r.name.c_str(), r.detail.c_str());
      if (!r.hint.empty()) std::printf("      %-24s fix: %s\n", "", r.hint.c_str());
    }
    std::cout << (failed ? "some checks failed; fix them before serving students\n"
                         : "all checks passed\n");
  }
  return failed ? kExitFailed : kExitOk;
}

int AuditList(Cli& cli, uint32_t limit) {
  struct Row {
    std::string at, actor, action, target, detail;
  };
  std::vector<Row> rows;
  Database& db = cli.reads();
  Status s = db.Run("list audit_log", [&] {
    auto& st = db.Prepare(
        "SELECT at, actor, action, target, COALESCE(detail, '') FROM audit_log ORDER BY id DESC "
        "LIMIT ?");
    st.setUInt(1, limit);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      rows.push_back({rs->getString(1), rs->getString(2), rs->getString(3), rs->getString(4),
                      rs->getString(5)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return Fail(s);
  if (cli.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rows) {
      auto t = ParseDbTime(r.at);
      j.push_back({{"at", t ? FormatIso8601(*t) : r.at},
                   {"actor", r.actor},
                   {"action", r.action},
                   {"target", r.target},
                   {"detail", r.detail}});
    }
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& r : rows) {
    auto t = ParseDbTime(r.at);
    table.push_back(
        {t ? FormatDisplayTime(*t) : r.at, r.actor, r.action, r.target, r.detail.substr(0, 100)});
  }
  PrintTable({"AT", "ACTOR", "ACTION", "TARGET", "DETAIL"}, table);
  return kExitOk;
}

}  // namespace

void AddOpsCommands(CLI::App& app, Cli& cli) {
  auto* db = app.add_subcommand("db", "database schema");
  db->require_subcommand(1);
  AddDbStatusCommand(*db, cli);
  auto* migrate =
      db->add_subcommand("migrate", "apply pending sql/NNNN_*.sql migrations, in order");
  auto sql_dir = std::make_shared<std::string>(std::string(OJ_SOURCE_DIR) + "/sql");
  migrate->add_option("--sql-dir", *sql_dir, "directory of migrations");
  migrate->callback([&cli, sql_dir] {
    cli.run = [&cli, sql_dir] {
      auto applied = Migrate(cli.db(), *sql_dir);
      if (!applied.ok()) return Fail(applied.status());
      if (applied->empty()) std::cout << "schema is up to date\n";
      for (const auto& n : *applied) std::cout << "applied " << n << "\n";
      if (!applied->empty()) {
        std::string names;
        for (const auto& n : *applied) names += (names.empty() ? "" : " ") + n;
        cli.Audit("db.migrate", "schema", names);
      }
      return kExitOk;
    };
  });

  auto* nginx = app.add_subcommand("nginx", "nginx configuration");
  nginx->require_subcommand(1);
  auto* render = nginx->add_subcommand(
      "render", "render nginx.conf from the configuration (the one source of nginx's limits)");
  struct RenderOpts {
    std::string out;
    bool as_root = geteuid() == 0;
  };
  auto ro = std::make_shared<RenderOpts>();
  render->add_option("--out", ro->out, "write here (atomically) instead of stdout");
  render->add_flag("--as-root,!--no-root", ro->as_root,
                   "add `user <server.nginx_user> <server.nginx_group>;` (default when root; "
                   "production: --no-root, and the user on nginx's command line)");
  render->callback([&cli, ro] {
    cli.run = [&cli, ro] {
      // The /archive/ location includes the secure_link snippet beside this key.
      auto secret = LoadOrCreateArchiveSecret(cli.cfg.paths.keys_dir);
      if (!secret.ok()) return Fail(secret.status());
      auto text = RenderNginxConfig(cli.cfg, ro->as_root);
      if (!text.ok()) return Fail(text.status());
      if (ro->out.empty()) {
        std::cout << *text;
        return kExitOk;
      }
      Status s = WriteFileAtomic(ro->out, *text, 0644);
      return s.ok() ? kExitOk : Fail(s);
    };
  });

  auto* check = app.add_subcommand(
      "check",
      "is this host ready? config, database and schema, nginx limits vs the app, "
      "storage, directories, sandbox (bwrap, user namespaces, cgroups), PSI; each "
      "failure with a fix");
  auto co = std::make_shared<CheckOptions>();
  check->add_option("--nginx-conf", co->nginx_conf,
                    "the nginx.conf nginx runs (default <paths.var_dir>/nginx/nginx.conf)");
  check->add_option("--sql-dir", co->sql_dir, "migrations to compare the schema with");
  check->callback([&cli, co] {
    cli.needs_config = false;
    cli.run = [&cli, co] { return Check(cli, *co); };
  });

  auto* audit = app.add_subcommand("audit", "staff actions recorded in audit_log");
  audit->require_subcommand(1);
  auto* alist = audit->add_subcommand("list", "newest first");
  auto limit = std::make_shared<uint32_t>(50);
  alist->add_option("--limit", *limit, "rows (default 50)")->check(CLI::Range(1u, 10000u));
  alist->callback([&cli, limit] { cli.run = [&cli, limit] { return AuditList(cli, *limit); }; });
}

}  // namespace oj::ctl
