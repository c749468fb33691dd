// Logging: programs log through spdlog to stderr (ops/oj and systemd route it to a
// file or the journal). Only mains and top-level loops log; library code returns Status.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace oj {

// Sets the default logger: "<time> <level> <program>[pid] message".
void InitLogging(const std::string& program, const std::string& level);

}  // namespace oj
