#include "core/outage_journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/fs.h"
#include "core/ids.h"

namespace oj {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size() && out.size() < 16) {
    size_t sp = line.find(' ', i);
    if (sp == std::string_view::npos) sp = line.size();
    out.push_back(line.substr(i, sp - i));
    i = sp + 1;
  }
  return out;
}

template <typename Int>
bool ToInt(std::string_view s, Int* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// flock that retries on EINTR.
bool Lock(int fd, int op) {
  while (::flock(fd, op) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

}  // namespace

bool IsRefusalReason(std::string_view r) {
  return r == "database" || r == "storage" || r == "internal";
}

std::optional<std::string> EncodeRefusal(const RefusalRecord& r) {
  if (!IsValidSubmissionId(r.id) || !IsValidToken(r.token) || !IsValidCode(r.course) ||
      !IsValidCode(r.module) || !IsRefusalReason(r.reason) || r.status < 500 || r.status > 599) {
    return std::nullopt;
  }
  int64_t us =
      std::chrono::duration_cast<std::chrono::microseconds>(r.at.time_since_epoch()).count();
  return "R " + r.id + " " + std::to_string(us) + " " + std::to_string(r.status) + " " + r.token +
         " " + r.course + " " + r.module + " " + r.reason;
}

std::optional<RefusalRecord> ParseRefusal(std::string_view line) {
  auto f = Fields(line);
  if (f.size() != 8 || f[0] != "R") return std::nullopt;
  RefusalRecord r;
  int64_t us = 0;
  if (!ToInt(f[2], &us) || us <= 0 || !ToInt(f[3], &r.status)) return std::nullopt;
  r.id = f[1];
  r.at = SysTime{} + std::chrono::microseconds(us);
  r.token = f[4];
  r.course = f[5];
  r.module = f[6];
  r.reason = f[7];
  if (!EncodeRefusal(r)) return std::nullopt;  // the same validation as on the way in
  return r;
}

std::string EncodeMinute(const MinuteSample& m) {
  return "M " + std::to_string(m.minute) + " " + std::to_string(m.probes) + " " +
         std::to_string(m.probes_failed) + " " + std::to_string(m.uploads) + " " +
         std::to_string(m.uploads_5xx);
}

std::optional<MinuteSample> ParseMinute(std::string_view line) {
  auto f = Fields(line);
  if (f.size() != 6 || f[0] != "M") return std::nullopt;
  MinuteSample m;
  if (!ToInt(f[1], &m.minute) || m.minute <= 0 || !ToInt(f[2], &m.probes) ||
      !ToInt(f[3], &m.probes_failed) || !ToInt(f[4], &m.uploads) || !ToInt(f[5], &m.uploads_5xx) ||
      m.probes_failed > m.probes || m.uploads_5xx > m.uploads) {
    return std::nullopt;
  }
  return m;
}

std::string LedgerDir(const Config& cfg) { return cfg.paths.storage_dir + "/ledger"; }

Status AppendJournal(const std::string& dir, const char* name, std::string_view line,
                     uint64_t max_bytes) {
  std::string path = dir + "/" + name;
  std::string text(line);
  text += '\n';
  for (int attempt = 0; attempt < 4; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!fd.valid() && errno == ENOENT) {
      if (Status s = MakeDirs(dir); !s.ok()) return s;
      continue;
    }
    if (!fd.valid()) return Status::Unavailable(Errno("open " + path));
    if (!Lock(fd.get(), LOCK_SH)) return Status::Internal(Errno("flock " + path));
    struct stat mine {
    }, named{};
    if (::fstat(fd.get(), &mine) != 0) return Status::Internal(Errno("fstat " + path));
    if (::stat(path.c_str(), &named) != 0 || named.st_ino != mine.st_ino ||
        named.st_dev != mine.st_dev) {
      continue;  // taken for import between our open and our lock: append to the new one
    }
    if (static_cast<uint64_t>(mine.st_size) + text.size() > max_bytes) {
      return Status::ResourceExhausted(path + " holds " + std::to_string(mine.st_size) +
                                       " bytes (ledger.journal_max_bytes); record dropped");
    }
    // One write on an O_APPEND descriptor: lines of concurrent writers never interleave.
    ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n != static_cast<ssize_t>(text.size())) {
      return Status::Unavailable(n < 0 ? Errno("append to " + path) : "short append to " + path);
    }
    return Status::Ok();
  }
  return Status::Unavailable("could not append to " + path + ": it kept being replaced");
}

Status ImportJournal(const std::string& dir, const char* name, uint64_t max_bytes,
                     const std::function<Status(const std::vector<std::string>&)>& import) {
  std::string path = dir + "/" + name;
  std::string taken = path + ".importing";
  std::string lock_path = dir + "/import.lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!lock.valid()) {
    if (errno == ENOENT) return Status::Ok();  // no ledger directory: nothing recorded yet
    return Status::Unavailable(Errno("open " + lock_path));
  }
  if (!Lock(lock.get(), LOCK_EX)) return Status::Internal(Errno("flock " + lock_path));

  auto import_taken = [&]() -> Status {
    UniqueFd fd(::open(taken.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Status::Internal(Errno("open " + taken));
    // Wait for writers that appended to this file before it was renamed.
    if (!Lock(fd.get(), LOCK_EX)) return Status::Internal(Errno("flock " + taken));
    Lock(fd.get(), LOCK_UN);
    std::string text;
    size_t cap = max_bytes + (64 << 10);
    text.resize(cap);
    size_t got = 0;
    while (got < cap) {
      ssize_t n = ::read(fd.get(), text.data() + got, cap - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::Internal(Errno("read " + taken));
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
    std::vector<std::string> lines;
    size_t i = 0;
    while (i < text.size()) {
      size_t nl = text.find('\n', i);
      if (nl == std::string::npos) break;  // a torn last line (host crash): dropped
      if (nl > i) lines.emplace_back(text, i, nl - i);
      i = nl + 1;
    }
    if (!lines.empty()) {
      if (Status s = import(lines); !s.ok()) return s;
    }
    if (::unlink(taken.c_str()) != 0) return Status::Internal(Errno("unlink " + taken));
    return Status::Ok();
  };

  struct stat st {};
  if (::stat(taken.c_str(), &st) == 0) {  // left by an import that failed
    if (Status s = import_taken(); !s.ok()) return s;
  }
  if (::rename(path.c_str(), taken.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Internal(Errno("rename " + path));
  }
  return import_taken();
}

}  // namespace oj
