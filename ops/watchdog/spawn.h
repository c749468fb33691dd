// Child processes for alert delivery (sendmail, a command) and per-check actions.
// posix_spawn (no fork of a memory-locked parent's pages); every child is reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace oj::watchdog {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// Runs argv with input on its stdin (stdout/stderr inherited); waits up to timeout,
// then kills it. Ok only when it exits 0.
Status RunWithInput(const std::vector<std::string>& argv, const EnvVars& env,
                    const std::string& input, std::chrono::milliseconds timeout);

// Starts argv with stdin from /dev/null and returns its pid; the caller reaps it
// (ReapIfDone) and may kill it.
Result<pid_t> SpawnBackground(const std::vector<std::string>& argv, const EnvVars& env);

// True when pid has exited (and is now reaped); *exit_status gets its wait status.
bool ReapIfDone(pid_t pid, int* wait_status);

}  // namespace oj::watchdog
