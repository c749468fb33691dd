// Where a claimed submission's upload comes from (docs/scaling.md): the local storage
// directory when the runner shares the intake's disk, or the intake's nginx through a
// signed, expiring /archive/ link (core/archive_link.h) when it runs on a judge host.
// Either way the bytes are checked against the row's size and SHA-256 before judging;
// a missing file, a failed fetch or a mismatch is an internal error (judge_error,
// requeued, never charged to the student).
//
// The fetch goes through core/http_client.h (libcurl): one GET, no proxy, no redirect
// followed, fixed-length or chunked body streamed to the cache file while it is hashed,
// never more than the recorded size kept, the whole call within timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/archive_store.h"
#include "core/status.h"

namespace oj::runner {

struct ArchiveSourceConfig {
  std::string storage_dir;  // local mode: read <storage_dir>/<storage_key>
  std::string archive_url;  // non-empty: fetch <archive_url>/archive/<storage_key>?md5=..
  std::string secret;       // archive-link.key (fetch mode)
  std::chrono::seconds link_ttl{120};
  std::chrono::seconds timeout{30};  // connect + whole transfer
  std::string cache_dir;             // fetch mode: where the fetched copy lives while judging
};

// A verified upload on local disk; a fetched copy is removed with this object.
class LocalArchive {
 public:
  LocalArchive() = default;
  LocalArchive(std::string dir, bool owned, std::string path)
      : dir_(std::move(dir)), owned_(owned), path_(std::move(path)) {}
  LocalArchive(LocalArchive&& o) noexcept { *this = std::move(o); }
  LocalArchive& operator=(LocalArchive&& o) noexcept;
  LocalArchive(const LocalArchive&) = delete;
  LocalArchive& operator=(const LocalArchive&) = delete;
  ~LocalArchive();
  // The directory to read storage_key from (a storage_dir for JudgeSubmission).
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool owned_ = false;
  std::string path_;
};

// kUnavailable: fetch failed (resolve, connect, timeout, a body cut short) or nginx
// answered anything but 200 (403 bad signature or address, 410 expired, 404, 5xx; the
// status line named). kNotFound: the local file is missing (retrying cannot help).
// kInternal: size or SHA-256 differ from the row (both values named; a body longer
// than the row's size is cut off at it), or the fetched copy could not be written
// (kUnavailable when the disk is full).
Result<LocalArchive> PrepareArchive(const ArchiveSourceConfig& cfg, const StoredArchive& want,
                                    int64_t now_unix);

// Pure: splits "http://host[:port]" (host may be "[v6]") into host and port; the
// archive_url check. Exposed for tests.
Status ParseHttpBase(const std::string& url, std::string* host, uint16_t* port);

}  // namespace oj::runner
