#include "judge_runner/archive_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/archive_link.h"
#include "core/fs.h"
#include "core/http_client.h"
#include "core/sha256.h"

namespace oj::runner {
namespace {

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
  std::string url =
      "http://" + host + ":" + std::to_string(port) +
      SignArchiveLink(cfg.secret, ArchiveUri(want.storage_key), now_unix + cfg.link_ttl.count());

  Status made = MakeDirs(cfg.cache_dir, 0700);
  if (!made.ok()) return made;
  std::string path = cfg.cache_dir + "/" + want.storage_key;
  made = MakeDirs(std::filesystem::path(path).parent_path().string(), 0700);
  if (!made.ok()) return made;
  LocalArchive out(cfg.cache_dir, true, path);  // removes the file on any failure below
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!file.valid()) return Status::Internal("create " + path + ": " + std::strerror(errno));
  Sha256 h;
  Status written;
  BodySink sink{.max_bytes = want.size_bytes, .write = [&](std::string_view piece) {
                  h.Update(piece);
                  written = WriteAll(file.get(), piece.data(), piece.size());
                  return written;
                }};
  auto r = HttpGetToSink(url, {.timeout = cfg.timeout, .user_agent = "oj-runner"}, sink);
  if (!written.ok()) return written;  // the copy could not be written
  if (!r.ok() && r.status().code() == Status::Code::kResourceExhausted) {  // a mismatch
    return Status::Internal("archive size over the recorded " + std::to_string(want.size_bytes) +
                            " bytes");
  }
  if (!r.ok()) return Status::Unavailable("archive fetch: " + r.status().message());
  if (r->status != 200) {
    std::string line = r->status_line.empty() ? std::to_string(r->status) : r->status_line;
    return Status::Unavailable("archive fetch refused: " + line);
  }
  s = Verify(r->body_bytes, h.HexDigest(), want);
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
  // The host ends at the port's colon, or after "]" for an IPv6 literal.
  size_t host_end = rest[0] == '[' ? rest.find(']') : rest.rfind(':');
  if (rest[0] == '[' && host_end == std::string::npos) {
    return Status::InvalidArgument("archive_url has an unclosed '['");
  }
  if (rest[0] == '[') ++host_end;
  if (host_end == std::string::npos) host_end = rest.size();
  std::string after = rest.substr(host_end);
  *port = 80;
  if (!after.empty()) {
    std::string p = after.substr(1);
    if (after[0] != ':' || p.empty() || p.size() > 5 ||
        p.find_first_not_of("0123456789") != std::string::npos || std::stoul(p) == 0 ||
        std::stoul(p) > 65535) {
      return Status::InvalidArgument("archive_url has a bad port '" + after + "'");
    }
    *port = static_cast<uint16_t>(std::stoul(p));
  }
  rest = rest.substr(0, host_end);
  if (rest.empty() || rest == "[]") return Status::InvalidArgument("archive_url has no host");
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
