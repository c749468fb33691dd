// What every ojctl command group shares: the global options, the configuration and
// database connection (opened on first use), output helpers and exit codes.
//
// Each *_commands.cc registers its subcommands; a subcommand's callback stores the
// action to run in Cli::run, and main() runs it after parsing and loading config.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/db.h"
#include "core/replica.h"
#include "core/status.h"

namespace oj::ctl {

// Exit codes, the same for every command (listed in `ojctl --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        // internal error, or a check failed
inline constexpr int kExitBadInput = 2;      // bad argument, CSV or time
inline constexpr int kExitNotFound = 3;      // unknown course, module, token, submission
inline constexpr int kExitUnavailable = 4;   // database unreachable, retry later
inline constexpr int kExitPrecondition = 5;  // state forbids it (e.g. cancel a done job)

struct Cli {
  std::string config_path;
  bool json = false;
  bool needs_config = true;  // false: the action loads (and judges) it itself
  std::function<int()> run;  // the chosen subcommand's action
  Config cfg;

  Database& db();
  // Read-only reports (sub list/show, queue, scores export, course/module list, audit
  // list) read here: the replica when one is configured and usable (core/replica.h),
  // else the primary, with a note on stderr saying why. Writes and Audit use db().
  Database& reads();
  // Runs report(Database&) on reads(); if the replica fails with kUnavailable (it died
  // since the check), runs it once more on the primary. report returns Status or Result.
  template <typename F>
  auto Report(F&& report) -> decltype(report(std::declval<Database&>()));
  // Who did it, for audit_log: "ojctl:<login>" (SUDO_USER when run with sudo).
  std::string Actor() const;
  // Writes an audit_log row; a failure is reported on stderr but does not undo
  // the action (it already committed).
  void Audit(const std::string& action, const std::string& target, const std::string& detail);

 private:
  std::unique_ptr<Database> db_;
  std::unique_ptr<ReadRouter> router_;
};

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

template <typename F>
auto Cli::Report(F&& report) -> decltype(report(std::declval<Database&>())) {
  Database& from = reads();
  auto result = report(from);
  if (&from != &db() && StatusOf(result).code() == Status::Code::kUnavailable) {
    return report(db());
  }
  return result;
}

std::string DefaultConfigPath();
// Prints "ojctl: <message>" to stderr and returns the exit code for s.
int Fail(const Status& s);
int BadInput(const std::string& message);

// Human tables: columns padded to the widest cell (UTF-8 aware enough for names).
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// Parses a time option (see time_arg.h); InvalidArgument naming the option.
Result<SysTime> ParseTimeOption(const std::string& option, const std::string& value);
// Byte counts: "12582912", "512K", "12M", "12MiB", "1G" (binary units).
Result<uint64_t> ParseSizeOption(const std::string& option, const std::string& value);
// "on"/"off" (also yes/no, true/false, 1/0).
Result<bool> ParseOnOff(const std::string& option, const std::string& value);
std::string FormatBytes(uint64_t n);
std::string FormatScore(const std::optional<double>& v);
std::string FormatOptTime(const std::optional<SysTime>& t);
// "3m12s", "2h05m", "1d03h" for ages and durations.
std::string FormatAge(std::chrono::seconds s);

void AddCourseCommands(CLI::App& app, Cli& cli);      // course, module, student
void AddRosterCommands(CLI::App& app, Cli& cli);      // roster, token
void AddSubmissionCommands(CLI::App& app, Cli& cli);  // sub, queue, rejudge, cancel, scores
void AddOpsCommands(CLI::App& app, Cli& cli);         // db, nginx, check
void AddReceiptCommands(CLI::App& app, Cli& cli);     // receipt init|rotate|verify
void AddDbStatusCommand(CLI::App& db, Cli& cli);      // db status (db_status.cc)
// outages, module extend|set-grace. REQUIRES: AddCourseCommands ran (adds to `module`).
void AddOutageCommands(CLI::App& app, Cli& cli);
void AddCanaryCommands(CLI::App& app, Cli& cli);  // canary set|remove|status

}  // namespace oj::ctl
