#include "judge_runner/archive_source.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/archive_link.h"
#include "core/fs.h"
#include "core/sha256.h"

namespace oj::runner {
namespace {

constexpr size_t kMaxHeaderBytes = 16 << 10;

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms > 0 ? static_cast<int>(ms) : 0;
}

Result<UniqueFd> Connect(const std::string& host, uint16_t port, Clock::time_point deadline) {
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    return Status::Unavailable("resolve " + host + ": " + gai_strerror(rc));
  }
  std::string last = "no address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) continue;
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = std::strerror(errno);
      continue;
    }
    struct pollfd pf = {fd.get(), POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&pf, 1, RemainingMs(deadline)) != 1 ||
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      last = err ? std::strerror(err) : "connect timed out";
      continue;
    }
    ::freeaddrinfo(res);
    return fd;
  }
  ::freeaddrinfo(res);
  return Status::Unavailable("connect " + host + ":" + service + ": " + last);
}

// Reads up to max bytes; 0 at EOF. Unavailable on timeout or error.
Result<size_t> ReadSome(int fd, char* buf, size_t max, Clock::time_point deadline) {
  for (;;) {
    ssize_t n = ::read(fd, buf, max);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return Status::Unavailable(std::string("read: ") + std::strerror(errno));
    struct pollfd pf = {fd, POLLIN, 0};
    int ms = RemainingMs(deadline);
    if (ms == 0 || ::poll(&pf, 1, ms) == 0) return Status::Unavailable("archive fetch timed out");
  }
}

Status Verify(uint64_t size, const std::string& sha, const StoredArchive& want) {
  if (size != want.size_bytes) {
    return Status::Internal("archive size " + std::to_string(size) + " != recorded " +
                            std::to_string(want.size_bytes));
  }
  if (sha != want.sha256) {
    return Status::Internal("archive SHA-256 " + sha + " != recorded " + want.sha256);
  }
  return Status::Ok();
}

Result<LocalArchive> FromStorage(const ArchiveSourceConfig& cfg, const StoredArchive& want) {
  std::string path = cfg.storage_dir + "/" + want.storage_key;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {  // not retryable: a misconfiguration, judge_error at once
    return Status::NotFound("stored upload " + want.storage_key + ": " + std::strerror(errno));
  }
  Sha256 h;
  uint64_t size = 0;
  char buf[64 << 10];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Internal("read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    size += static_cast<uint64_t>(n);
    if (size > want.size_bytes) break;
    h.Update(std::string_view(buf, static_cast<size_t>(n)));
  }
  Status s = Verify(size, size > want.size_bytes ? "" : h.HexDigest(), want);
  if (!s.ok()) return s;
  return LocalArchive(cfg.storage_dir, false, path);
}

Result<LocalArchive> Fetch(const ArchiveSourceConfig& cfg, const StoredArchive& want,
                           int64_t now_unix) {
  std::string host;
  uint16_t port = 80;
  Status s = ParseHttpBase(cfg.archive_url, &host, &port);
  if (!s.ok()) return s;
  const auto deadline = Clock::now() + cfg.timeout;
  auto fd = Connect(host, port, deadline);
  if (!fd.ok()) return fd.status();
  std::string target =
      SignArchiveLink(cfg.secret, ArchiveUri(want.storage_key), now_unix + cfg.link_ttl.count());
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: " + host +
                    "\r\nConnection: close\r\n"
                    "User-Agent: oj-runner\r\n\r\n";
  // Blocking-style write on a non-blocking socket: requests are tiny.
  s = WriteAll(fd->get(), req.data(), req.size());
  if (!s.ok()) return Status::Unavailable("send request: " + s.message());

  std::string head;
  char buf[64 << 10];
  size_t header_end = std::string::npos;
  while (header_end == std::string::npos) {
    auto n = ReadSome(fd->get(), buf, sizeof buf, deadline);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::Unavailable("archive fetch: connection closed before headers");
    head.append(buf, *n);
    header_end = head.find("\r\n\r\n");
    if (header_end == std::string::npos && head.size() > kMaxHeaderBytes) {
      return Status::Unavailable("archive fetch: response headers too long");
    }
  }
  std::string status_line = head.substr(0, head.find("\r\n"));
  if (status_line.size() < 12 || status_line.compare(9, 3, "200") != 0) {
    return Status::Unavailable("archive fetch refused: " + status_line);
  }
  Status made = MakeDirs(cfg.cache_dir, 0700);
  if (!made.ok()) return made;
  std::string local_key = want.storage_key;
  std::string path = cfg.cache_dir + "/" + local_key;
  made = MakeDirs(std::filesystem::path(path).parent_path().string(), 0700);
  if (!made.ok()) return made;
  LocalArchive out(cfg.cache_dir, true, path);  // removes the file on any failure below
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!file.valid()) return Status::Internal("create " + path + ": " + std::strerror(errno));
  Sha256 h;
  uint64_t size = 0;
  auto take = [&](const char* p, size_t n) -> Status {
    size += n;
    if (size > want.size_bytes) return Status::Ok();  // counted, not kept: a mismatch
    h.Update(std::string_view(p, n));
    return WriteAll(file.get(), p, n);
  };
  std::string body_start = head.substr(header_end + 4);
  s = take(body_start.data(), body_start.size());
  while (s.ok() && size <= want.size_bytes) {
    auto n = ReadSome(fd->get(), buf, sizeof buf, deadline);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    s = take(buf, *n);
  }
  if (!s.ok()) return s;
  s = Verify(size, size > want.size_bytes ? "" : h.HexDigest(), want);
  if (!s.ok()) return s;
  return out;
}

}  // namespace

LocalArchive& LocalArchive::operator=(LocalArchive&& o) noexcept {
  if (this != &o) {
    if (owned_ && !path_.empty()) ::unlink(path_.c_str());
    dir_ = std::move(o.dir_);
    path_ = std::move(o.path_);
    owned_ = o.owned_;
    o.owned_ = false;
    o.path_.clear();
  }
  return *this;
}

LocalArchive::~LocalArchive() {
  if (owned_ && !path_.empty()) ::unlink(path_.c_str());
}

Status ParseHttpBase(const std::string& url, std::string* host, uint16_t* port) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return Status::InvalidArgument("archive_url must start with http://");
  std::string rest = url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return Status::InvalidArgument("archive_url must be http://host[:port] without a path");
  }
  size_t colon = rest.rfind(':');
  *port = 80;
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    std::string p = rest.substr(colon + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(p) == 0 || std::stoul(p) > 65535) {
      return Status::InvalidArgument("archive_url has a bad port '" + p + "'");
    }
    *port = static_cast<uint16_t>(std::stoul(p));
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Status::InvalidArgument("archive_url has no host");
  *host = rest;
  return Status::Ok();
}

Result<LocalArchive> PrepareArchive(const ArchiveSourceConfig& cfg, const StoredArchive& want,
                                    int64_t now_unix) {
  if (want.storage_key.empty() || want.storage_key[0] == '/' ||
      want.storage_key.find("..") != std::string::npos) {
    return Status::Internal("refusing storage key '" + want.storage_key + "'");
  }
  if (cfg.archive_url.empty()) return FromStorage(cfg, want);
  return Fetch(cfg, want, now_unix);
}

}  // namespace oj::runner
