#include "ops/watchdog/parsers.h"

#include <charconv>
#include <cstdlib>
#include <string>

namespace oj::watchdog {
namespace {

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  std::string tmp(s);
  char* end = nullptr;
  double v = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || v < 0) return std::nullopt;
  return v;
}

// The value of "avg10=" in a PSI line.
std::optional<double> Avg10(std::string_view line) {
  size_t p = line.find(" avg10=");
  if (p == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(p + 7);
  size_t e = rest.find(' ');
  return ParseDouble(rest.substr(0, e));
}

}  // namespace

std::optional<Pressure> ParsePressure(std::string_view text) {
  Pressure p;
  bool some = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.starts_with("some ")) {
      auto v = Avg10(line);
      if (!v) return std::nullopt;
      p.some_avg10 = *v;
      some = true;
    } else if (line.starts_with("full ")) {
      auto v = Avg10(line);
      if (!v) return std::nullopt;
      p.full_avg10 = *v;
    } else if (!line.empty()) {
      return std::nullopt;
    }
  }
  if (!some) return std::nullopt;
  return p;
}

std::optional<uint64_t> ParseMemAvailable(std::string_view text) {
  size_t p = text.find("MemAvailable:");
  if (p == std::string_view::npos || (p > 0 && text[p - 1] != '\n')) return std::nullopt;
  std::string_view rest = text.substr(p + 13);
  size_t i = 0;
  while (i < rest.size() && rest[i] == ' ') ++i;
  uint64_t kb = 0;
  auto [end, ec] = std::from_chars(rest.data() + i, rest.data() + rest.size(), kb);
  if (ec != std::errc() || end == rest.data() + i) return std::nullopt;
  std::string_view unit = rest.substr(static_cast<size_t>(end - rest.data()));
  if (!unit.starts_with(" kB")) return std::nullopt;
  if (kb > (UINT64_MAX >> 10)) return std::nullopt;
  return kb << 10;
}

std::optional<int> ParseAccessLogStatus(std::string_view line) {
  // The request is quoted and may contain anything but an unescaped quote (nginx
  // escapes " as \x22), so the status follows the last '" '.
  size_t q = line.rfind("\" ");
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(q + 2);
  int status = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), status);
  if (ec != std::errc() || end != rest.data() + 3) return std::nullopt;
  if (end != rest.data() + rest.size() && *end != ' ') return std::nullopt;
  if (status < 100 || status > 599) return std::nullopt;
  return status;
}

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos || close + 4 > text.size()) return std::nullopt;
  std::string_view rest = text.substr(close + 1);  // " S 123 ..."
  if (rest[0] != ' ' || rest[2] != ' ') return std::nullopt;
  ProcStat s;
  s.state = rest[1];
  rest = rest.substr(3);
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), s.ppid);
  if (ec != std::errc() || end == rest.data()) return std::nullopt;
  return s;
}

bool IsUploadRequest(std::string_view line) {
  size_t q = line.find('"');
  if (q == std::string_view::npos) return false;
  std::string_view req = line.substr(q + 1);
  constexpr std::string_view kPost = "POST /upload";
  if (!req.starts_with(kPost)) return false;
  char next = req.size() > kPost.size() ? req[kPost.size()] : '"';
  return next == ' ' || next == '?' || next == '"';
}

size_t CountAccessLog(std::string_view chunk, HttpCounts* counts) {
  size_t consumed = 0;
  while (true) {
    size_t nl = chunk.find('\n', consumed);
    if (nl == std::string_view::npos) break;
    size_t line_start = consumed;
    auto status = ParseAccessLogStatus(chunk.substr(consumed, nl - consumed));
    consumed = nl + 1;
    if (!status) continue;
    ++counts->total;
    if (*status >= 500) ++counts->server_errors;
    if (*status == 429) ++counts->rate_limited;
    if (IsUploadRequest(chunk.substr(line_start, nl - line_start))) {
      ++counts->uploads;
      if (*status >= 500) ++counts->upload_server_errors;
    }
  }
  return consumed;
}

}  // namespace oj::watchdog
