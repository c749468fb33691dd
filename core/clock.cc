#include "core/clock.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace oj {

void SetDisplayTimeZone(const std::string& tz) {
  if (!tz.empty()) setenv("TZ", tz.c_str(), 1);
  tzset();
}

std::optional<SysTime> ParseDbTime(std::string_view s) {
  if (s.size() < 19) return std::nullopt;
  std::string str(s);
  struct tm tm {};
  int us = 0;
  char frac[8] = {0};
  int n = std::sscanf(str.c_str(), "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
  if (n != 6) return std::nullopt;
  if (str.size() > 20 && str[19] == '.') {
    size_t len = std::min<size_t>(6, str.size() - 20);
    for (size_t i = 0; i < 6; ++i) frac[i] = i < len ? str[20 + i] : '0';
    us = std::atoi(frac);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t t = timegm(&tm);
  return std::chrono::system_clock::from_time_t(t) + std::chrono::microseconds(us);
}

std::string FormatDbTime(SysTime t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(us / 1000000);
  long frac = static_cast<long>(us % 1000000);
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string FormatDisplayTime(SysTime t) {
  time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string FormatIso8601(SysTime t) {
  time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string s(buf);
  // %z gives +0800; ISO 8601 extended form wants +08:00.
  if (s.size() >= 5) s.insert(s.size() - 2, ":");
  return s;
}

std::string FormatIso8601Utc(SysTime t) {
  time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace oj
