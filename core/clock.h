// Time: the database stores UTC as DATETIME(6) text "YYYY-MM-DD HH:MM:SS[.ffffff]";
// students see the configured display zone (TZ), as "YYYY-MM-DD HH:MM:SS".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace oj {

using SysTime = std::chrono::system_clock::time_point;

// Sets the process time zone for display (empty: leave the host's). Call once in main.
void SetDisplayTimeZone(const std::string& tz);

// "2024-10-01 12:00:00[.123456]" as UTC -> time point; nullopt if malformed.
std::optional<SysTime> ParseDbTime(std::string_view s);
// Time point -> "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, for SQL parameters.
std::string FormatDbTime(SysTime t);
// Time point -> "YYYY-MM-DD HH:MM:SS" in the display zone (the response lines of contract §3).
std::string FormatDisplayTime(SysTime t);
// Time point -> ISO 8601 with the display zone's offset, e.g. 2024-10-01T20:00:00+08:00.
std::string FormatIso8601(SysTime t);
// Time point -> ISO 8601 in UTC, e.g. 2024-10-01T12:00:00Z (receipts: zone-independent).
std::string FormatIso8601Utc(SysTime t);

}  // namespace oj
