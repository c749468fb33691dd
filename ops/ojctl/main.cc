// ojctl: the admin CLI for course staff and operators. Usage: ojctl --help
// Commands live in *_commands.cc by group; this file parses the global options,
// loads the configuration and runs the chosen command.
#include <iostream>

#include "core/clock.h"
#include "ops/ojctl/cli.h"

int main(int argc, char** argv) {
  using namespace oj::ctl;
  CLI::App app{
      "ojctl: manage the OJ submission server (courses, modules, rosters, tokens, "
      "submissions, scores, database, host checks)"};
  app.footer(
      "Every command has --help. Tables by default; --json for scripts.\n"
      "Exit codes: 0 ok, 1 failed, 2 bad input, 3 not found, 4 database unavailable (retry),\n"
      "5 not allowed in the current state. Staff actions are recorded in audit_log.");
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand: `ojctl queue --json`
  Cli cli;
  cli.config_path = DefaultConfigPath();
  app.add_option("--config", cli.config_path,
                 "configuration file (default: $OJ_CONFIG, var/oj.toml, /etc/oj/oj.toml)");
  app.add_flag("--json", cli.json, "machine-readable output");
  AddCourseCommands(app, cli);
  AddRosterCommands(app, cli);
  AddSubmissionCommands(app, cli);
  AddOpsCommands(app, cli);
  AddReceiptCommands(app, cli);
  AddOutageCommands(app, cli);
  AddCanaryCommands(app, cli);

  CLI11_PARSE(app, argc, argv);
  if (!cli.run) {
    std::cerr << app.help();
    return kExitBadInput;
  }
  if (cli.needs_config) {
    auto cfg = oj::LoadConfig(cli.config_path);
    if (!cfg.ok()) {
      std::cerr << "ojctl: configuration " << cli.config_path << ": " << cfg.status().message()
                << "\n(pass --config PATH or set OJ_CONFIG)\n";
      return kExitFailed;
    }
    cli.cfg = std::move(*cfg);
    oj::SetDisplayTimeZone(cli.cfg.server.display_timezone);
  }
  try {
    return cli.run();
  } catch (const std::exception& e) {  // e.g. the kernel RNG failing; never expected
    std::cerr << "ojctl: internal error: " << e.what() << "\n";
    return kExitFailed;
  }
}
