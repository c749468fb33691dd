#include "ops/ojctl/time_arg.h"

#include <cstdio>
#include <ctime>
#include <string>

namespace oj {
namespace {

// Strips a trailing "Z", "+HH:MM", "+HHMM" or "+HH" (or '-') zone; returns its
// offset east of UTC in seconds, or nullopt when there is none. bad is set for a
// zone that looks like one but does not parse.
std::optional<long> StripZone(std::string& s, bool& bad) {
  if (!s.empty() && s.back() == 'Z') {
    s.pop_back();
    return 0;
  }
  // The zone starts at the last '+' or '-' after the time's "HH:MM".
  size_t sep = s.find_first_of(" T");
  if (sep == std::string::npos) return std::nullopt;
  size_t pos = s.find_last_of("+-");
  if (pos == std::string::npos || pos < sep) return std::nullopt;
  std::string z = s.substr(pos + 1);
  std::string digits;
  for (char c : z) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ':') {
      bad = true;
      return std::nullopt;
    }
  }
  if (digits.size() != 2 && digits.size() != 4) {
    bad = true;
    return std::nullopt;
  }
  long h = std::stol(digits.substr(0, 2));
  long m = digits.size() == 4 ? std::stol(digits.substr(2, 2)) : 0;
  if (h > 14 || m > 59) {
    bad = true;
    return std::nullopt;
  }
  long off = h * 3600 + m * 60;
  if (s[pos] == '-') off = -off;
  s.resize(pos);
  return off;
}

}  // namespace

std::optional<SysTime> ParseTimeArg(std::string_view s, SysTime now) {
  if (s == "now") return now;
  if (s.substr(0, 3) == "now" && s.size() >= 6 && (s[3] == '+' || s[3] == '-')) {
    std::string num(s.substr(4, s.size() - 5));
    char unit = s.back();
    if (num.empty() || num.size() > 9 || num.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    long long n = std::stoll(num);
    long long mult = unit == 's'   ? 1
                     : unit == 'm' ? 60
                     : unit == 'h' ? 3600
                     : unit == 'd' ? 86400
                                   : 0;
    if (mult == 0) return std::nullopt;
    auto d = std::chrono::seconds(n * mult);
    return s[3] == '+' ? now + d : now - d;
  }
  std::string str(s);
  bool bad_zone = false;
  std::optional<long> offset = StripZone(str, bad_zone);
  if (bad_zone) return std::nullopt;
  struct tm tm {};
  char sep = 0;
  int used = -1;
  int n = std::sscanf(str.c_str(), "%4d-%2d-%2d%c%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &sep, &tm.tm_hour, &tm.tm_min, &used);
  if (n != 6 || used < 0 || (sep != ' ' && sep != 'T')) return std::nullopt;
  if (str[used] == ':') {
    int more = -1;
    if (std::sscanf(str.c_str() + used, ":%2d%n", &tm.tm_sec, &more) != 1 || more != 3) {
      return std::nullopt;
    }
    used += more;
  }
  if (static_cast<size_t>(used) != str.size()) return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  if (offset) return std::chrono::system_clock::from_time_t(timegm(&tm) - *offset);
  return std::chrono::system_clock::from_time_t(mktime(&tm));
}

}  // namespace oj
