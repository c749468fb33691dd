#include "core/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace oj {
namespace {
std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }
}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status WriteAll(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOSPC || errno == EDQUOT) return Status::Unavailable(Errno("write"));
      return Status::Internal(Errno("write"));
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Status::Internal(Errno("open directory " + dir));
  if (::fsync(fd.get()) != 0) return Status::Internal(Errno("fsync directory " + dir));
  return Status::Ok();
}

Status MakeDirs(const std::string& dir, unsigned mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create directory " + dir + ": " + ec.message());
  // Keep the setgid bit a directory inherits from a setgid parent (the storage directory is
  // setgid so that stored archives belong to nginx's group): chmod would clear it.
  struct stat st {};
  unsigned keep = ::stat(dir.c_str(), &st) == 0 ? (st.st_mode & S_ISGID) : 0;
  ::chmod(dir.c_str(), mode | keep);
  return Status::Ok();
}

Result<uint64_t> FreeBytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return Status::Unavailable(Errno("statvfs " + path));
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::NotFound(Errno("open " + path));
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(Errno("read " + path));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return Status::ResourceExhausted(path + " is larger than " + std::to_string(max_bytes) +
                                       " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode) {
  std::filesystem::path p(path);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd.valid()) return Status::Internal(Errno("create " + tmp));
    Status s = WriteAll(fd.get(), content.data(), content.size());
    if (s.ok() && ::fsync(fd.get()) != 0) s = Status::Internal(Errno("fsync " + tmp));
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::Internal(Errno("rename " + tmp));
    ::unlink(tmp.c_str());
    return s;
  }
  return FsyncDir(p.parent_path().empty() ? "." : p.parent_path().string());
}

}  // namespace oj
