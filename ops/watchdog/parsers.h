// Parsers for what the watchdog reads from the kernel and nginx. Pure functions of
// text; malformed input gives nullopt, never a guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace oj::watchdog {

// /proc/pressure/{memory,io,cpu}:
//   some avg10=1.23 avg60=0.50 avg300=0.10 total=123456
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
// cpu has no "full" line on kernels before 5.13 (or an all-zero one).
struct Pressure {
  double some_avg10 = 0;
  std::optional<double> full_avg10;
};
std::optional<Pressure> ParsePressure(std::string_view text);

// /proc/meminfo: the "MemAvailable:  123456 kB" line, in bytes.
std::optional<uint64_t> ParseMemAvailable(std::string_view text);

// One line of nginx's `oj` log format (nginx/nginx.conf.tmpl):
//   $remote_addr [$time_iso8601] "$request" $status $body_bytes_sent rt=... urt=... cache=...
// Returns the status (100..599).
std::optional<int> ParseAccessLogStatus(std::string_view line);

// /proc/<pid>/stat: the state letter and the parent pid (the command may hold spaces
// and parentheses; the last ')' ends it).
struct ProcStat {
  char state = '?';
  int ppid = 0;
};
std::optional<ProcStat> ParseProcStat(std::string_view text);

// Counts of nginx answers by class over one window.
struct HttpCounts {
  uint64_t total = 0;
  uint64_t server_errors = 0;         // 5xx
  uint64_t rate_limited = 0;          // 429
  uint64_t uploads = 0;               // POST /upload (the outage ledger's share of refused uploads)
  uint64_t upload_server_errors = 0;  // of which 5xx
};

// True if the access log line's request is a POST to /upload.
bool IsUploadRequest(std::string_view line);

// Feeds complete lines of `chunk` into counts; returns the number of bytes consumed
// (up to and including the last '\n'), so a partial last line is read next time.
size_t CountAccessLog(std::string_view chunk, HttpCounts* counts);

}  // namespace oj::watchdog
