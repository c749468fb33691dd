// File-system helpers that own what the kernel hands out.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace oj {

// A move-only file descriptor, closed on destruction. Open everything O_CLOEXEC.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Writes all of data, retrying on EINTR and short writes.
Status WriteAll(int fd, const void* data, size_t len);
// fsync of a directory, so a created or renamed entry survives a crash.
Status FsyncDir(const std::string& dir);
// Creates dir and its parents (mode 0750 by default); ok if it exists.
Status MakeDirs(const std::string& dir, unsigned mode = 0750);
// Free bytes available to unprivileged users on the filesystem holding path.
Result<uint64_t> FreeBytes(const std::string& path);
// Whole small file (config, pressure files); refuses files over max_bytes.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);
// Writes a file atomically (temp + fsync + rename + dir fsync).
Status WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode = 0640);

}  // namespace oj
