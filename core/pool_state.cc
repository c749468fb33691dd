#include "core/pool_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "core/fs.h"

namespace oj {
namespace {

template <typename T>
bool ParseNumber(std::string_view v, T* out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  return ec == std::errc() && p == v.data() + v.size();
}

}  // namespace

std::string FormatPoolState(const PoolState& s) {
  std::string last = s.last_crash;
  for (char& c : last) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  char started[32];
  std::snprintf(started, sizeof started, "%.3f", s.started_at);
  return "master_pid=" + std::to_string(s.master_pid) + "\nstarted_at=" + started +
         "\nworker_crashes=" + std::to_string(s.worker_crashes) + "\nlast_crash=" + last + "\n";
}

std::optional<PoolState> ParsePoolState(std::string_view text) {
  PoolState s;
  bool have_pid = false, have_crashes = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "master_pid") {
      if (!ParseNumber(value, &s.master_pid) || s.master_pid <= 0) return std::nullopt;
      have_pid = true;
    } else if (key == "worker_crashes") {
      if (!ParseNumber(value, &s.worker_crashes)) return std::nullopt;
      have_crashes = true;
    } else if (key == "started_at") {
      if (!ParseNumber(value, &s.started_at)) return std::nullopt;
    } else if (key == "last_crash") {
      s.last_crash = std::string(value);
    }
  }
  if (!have_pid || !have_crashes) return std::nullopt;
  return s;
}

Status WritePoolState(const std::string& run_dir, const PoolState& s) {
  std::string path = run_dir + "/" + kPoolStateFile;
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return Status::Unavailable("cannot write " + tmp + ": " + std::strerror(errno) +
                               " (check paths.run_dir exists and is writable)");
  }
  std::string text = FormatPoolState(s);
  Status w = WriteAll(fd.get(), text.data(), text.size());
  if (!w.ok()) return w;
  fd.reset();
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace oj
