// Times staff type on the command line: "now", "now+2h", "now-1d", "now+90m",
// "now+30s", or "YYYY-MM-DD HH:MM[:SS]" (a 'T' may replace the space) in the
// display zone, or with an explicit zone: a trailing "Z" (UTC) or "+08:00" /
// "-0500" offset, e.g. "2024-12-31 23:59+08:00".
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace oj {

std::optional<SysTime> ParseTimeArg(std::string_view s, SysTime now);

}  // namespace oj
