// Times staff type on the command line: "now", "now+2h", "now-1d", "now+90m",
// "now+30s", or "YYYY-MM-DD HH:MM[:SS]" in the display zone (or with a trailing
// "Z" for UTC).
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace oj {

std::optional<SysTime> ParseTimeArg(std::string_view s, SysTime now);

}  // namespace oj
