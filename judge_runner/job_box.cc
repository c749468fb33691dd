#include "judge_runner/job_box.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/fs.h"
#include "judge_runner/sandbox.h"

namespace oj::runner {
namespace {

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // "id parent major:minor root mountpoint ..."
    size_t p = 0;
    for (int field = 0; field < 4 && p != std::string::npos; ++field) p = line.find(' ', p + 1);
    if (p == std::string::npos) continue;
    size_t e = line.find(' ', p + 1);
    if (line.substr(p + 1, e - p - 1) == path) return true;
  }
  return false;
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // never follows symlinks
  if (ec) return Status::Internal("remove " + path + ": " + ec.message());
  return Status::Ok();
}

Status MakeOwnedDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::Internal("mkdir " + path + ": " + std::strerror(errno));
  }
  if (::chown(path.c_str(), kSandboxUid, kSandboxGid) != 0) {
    return Status::Internal("chown " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Result<bool> JobBox::RemoveLeftovers(const std::string& runner_dir) {
  std::string box = runner_dir + "/box";
  bool found = false;
  while (IsMountPoint(box)) {
    found = true;
    if (::umount2(box.c_str(), MNT_DETACH) != 0) {
      return Status::Internal("umount " + box + ": " + std::strerror(errno));
    }
  }
  struct stat st;
  if (::lstat(box.c_str(), &st) == 0) {
    found = true;
    Status s = RemoveTree(box);
    if (!s.ok()) return s;
  }
  return found;
}

Result<JobBox> JobBox::Create(const std::string& runner_dir, const BoxLimits& limits) {
  Status s = MakeDirs(runner_dir, 0755);
  if (!s.ok()) return s;
  auto left = RemoveLeftovers(runner_dir);
  if (!left.ok()) return left.status();
  JobBox box;
  std::string path = runner_dir + "/box";
  if (::mkdir(path.c_str(), 0755) != 0) {
    return Status::Internal("mkdir " + path + ": " + std::strerror(errno));
  }
  box.path_ = path;
  std::string opts =
      "size=" + std::to_string(limits.bytes) + ",nr_inodes=" + std::to_string(limits.inodes) +
      ",mode=0755,uid=" + std::to_string(kSandboxUid) + ",gid=" + std::to_string(kSandboxGid);
  if (::mount("oj-box", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
    return Status::Internal("mount tmpfs on " + path + ": " + std::strerror(errno));
  }
  s = MakeOwnedDir(box.submission_dir());
  if (s.ok()) s = MakeOwnedDir(box.out_dir());
  if (!s.ok()) return s;
  return box;
}

JobBox::JobBox(JobBox&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }

JobBox& JobBox::operator=(JobBox&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) (void)RemoveLeftovers(path_.substr(0, path_.rfind('/')));
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

JobBox::~JobBox() {
  if (!path_.empty()) (void)RemoveLeftovers(path_.substr(0, path_.rfind('/')));
}

}  // namespace oj::runner
