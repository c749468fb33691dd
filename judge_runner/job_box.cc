#include "judge_runner/job_box.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

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

Status MountSpace(const std::string& path, const SpaceLimits& limits, unsigned uid, unsigned gid) {
  std::string opts = "size=" + std::to_string(limits.bytes) +
                     ",nr_inodes=" + std::to_string(limits.inodes) +
                     ",mode=0755,uid=" + std::to_string(uid) + ",gid=" + std::to_string(gid);
  if (::mount("oj-box", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
    return Status::Internal("mount tmpfs on " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::Internal("mkdir " + path + ": " + std::strerror(errno));
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
  // The holder: root's, room for the mount points only.
  Status s2 = MountSpace(path, SpaceLimits{64 << 10, 16}, 0, 0);
  for (const std::string& d : {box.submission_dir(), box.out_dir(), box.scratch_dir(),
                               box.program_tmp_dir(), box.program_shm_dir()}) {
    if (s2.ok()) s2 = MakeDir(d);
  }
  if (s2.ok()) s2 = MountSpace(box.submission_dir(), limits.submission, kSandboxUid, kSandboxGid);
  if (s2.ok()) s2 = MountSpace(box.out_dir(), limits.out, kSandboxUid, kSandboxGid);
  if (!s2.ok()) return s2;
  return box;
}

Status JobBox::ResetScratch(const SpaceLimits& limits) {
  std::string dir = scratch_dir();
  while (IsMountPoint(dir)) {
    if (::umount2(dir.c_str(), MNT_DETACH) != 0) {
      return Status::Internal("umount " + dir + ": " + std::strerror(errno));
    }
  }
  return MountSpace(dir, limits, kSandboxUid, kSandboxGid);
}

Status JobBox::MountProgramSpaces(const SandboxLimits& limits) {
  Status s = MountSpace(program_tmp_dir(), {limits.program_tmp_bytes, limits.program_files},
                        kSandboxUid, kSandboxGid);
  if (s.ok()) {
    s = MountSpace(program_shm_dir(), {limits.shm_bytes, limits.program_files}, kSandboxUid,
                   kSandboxGid);
  }
  return s;
}

Result<size_t> KeepRegularFilesOnly(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> strays;
  struct stat top;
  if (::lstat(dir.c_str(), &top) == 0) ::chmod(dir.c_str(), (top.st_mode & 07777) | 0700);
  // Modes first, so that the walk (root's, which reads anything anyway) and later the
  // judge (the sandbox uid) can enter every directory.
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
       !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ::chmod(it->path().c_str(), (st.st_mode & 07777) | 0700);
    } else if (S_ISREG(st.st_mode)) {
      ::chmod(it->path().c_str(), (st.st_mode & 0777) | 0600);  // and no setuid/setgid
    } else {
      strays.push_back(it->path());
    }
  }
  if (ec) return Status::Internal("walk " + dir + ": " + ec.message());
  for (const fs::path& p : strays) {
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
      return Status::Internal("remove " + p.string() + ": " + std::strerror(errno));
    }
  }
  return strays.size();
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
