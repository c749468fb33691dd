#include "ops/ojctl/time_arg.h"

#include <cstdio>
#include <ctime>
#include <string>

namespace oj {

std::optional<SysTime> ParseTimeArg(std::string_view s, SysTime now) {
  if (s == "now") return now;
  if (s.substr(0, 3) == "now" && s.size() >= 6 && (s[3] == '+' || s[3] == '-')) {
    std::string num(s.substr(4, s.size() - 5));
    char unit = s.back();
    if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    long long n = std::stoll(num);
    long long mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    if (mult == 0) return std::nullopt;
    auto d = std::chrono::seconds(n * mult);
    return s[3] == '+' ? now + d : now - d;
  }
  std::string str(s);
  bool utc = !str.empty() && str.back() == 'Z';
  if (utc) str.pop_back();
  struct tm tm {};
  int n = std::sscanf(str.c_str(), "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
  if (n != 5 && n != 6) return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  time_t t = utc ? timegm(&tm) : mktime(&tm);
  return std::chrono::system_clock::from_time_t(t);
}

}  // namespace oj
