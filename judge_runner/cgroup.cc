#include "judge_runner/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/fs.h"

namespace oj::runner {
namespace {

constexpr const char* kRoot = "/sys/fs/cgroup";
const char* const kV1Controllers[] = {"memory", "pids", "cpuacct"};

bool Exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

std::string ReadText(const std::string& path) {
  auto r = ReadSmallFile(path, 1 << 16);
  return r.ok() ? r.value() : std::string();
}

Status WriteText(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::Internal("open " + path + ": " + std::strerror(errno));
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return Status::Internal("write '" + value + "' to " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// The runner's own cgroup path in a hierarchy ("" for v2), from /proc/self/cgroup.
std::string SelfPath(const std::string& controller) {
  std::istringstream in(ReadText("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controller.empty()
            ? ctrls.empty() && line.compare(0, 2, "0:") == 0
            : ("," + ctrls + ",").find("," + controller + ",") != std::string::npos) {
      return path == "/" ? "" : path;
    }
  }
  return "";
}

// Directories that hold this runner's run cgroups, one per hierarchy.
std::vector<std::string> RunnerDirs(const std::string& runner_name) {
  std::vector<std::string> dirs;
  if (JobCgroup::IsV2()) {
    dirs.push_back(std::string(kRoot) + SelfPath("") + "/oj-" + runner_name);
  } else {
    for (const char* c : kV1Controllers) {
      dirs.push_back(std::string(kRoot) + "/" + c + SelfPath(c) + "/oj-" + runner_name);
    }
  }
  return dirs;
}

std::vector<int> Pids(const std::string& dir) {
  std::vector<int> pids;
  std::istringstream in(ReadText(dir + "/cgroup.procs"));
  int pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

void KillDir(const std::string& dir) {
  if (Exists(dir + "/cgroup.kill")) {
    (void)WriteText(dir + "/cgroup.kill", "1");
  }
  // v1 has no cgroup.kill: SIGKILL what is listed until nothing is. A process forked
  // between the read and the kill shows up on the next round; the pids limit bounds
  // how many can appear.
  for (int round = 0; round < 100; ++round) {
    std::vector<int> pids = Pids(dir);
    if (pids.empty()) return;
    for (int pid : pids) ::kill(pid, SIGKILL);
    std::this_thread::yield();
  }
}

// rmdir, retrying while the kernel reports the cgroup busy (its last processes are
// still exiting). Backs off from 1 ms, gives up after about 5 s.
Status RemoveDir(const std::string& dir) {
  auto backoff = std::chrono::microseconds(1000);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return Status::Ok();
    if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) {
      return Status::Internal("rmdir " + dir + ": " + std::strerror(errno));
    }
    KillDir(dir);
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::microseconds(100'000));
  }
}

uint64_t ParseU64(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoull(s);
  } catch (const std::exception&) {
    return 0;
  }
}

// "key value" lines (memory.oom_control, memory.events, cpu.stat, pids.events).
uint64_t KeyValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  uint64_t v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

// v2: controllers must be enabled in the parent's subtree_control, which the kernel
// refuses while the parent holds processes; then the runner moves itself into a leaf.
Status EnableV2Controllers(const std::string& parent) {
  std::string ctl = parent + "/cgroup.subtree_control";
  if (WriteText(ctl, "+memory +pids +cpu").ok()) return Status::Ok();
  std::string leaf = parent + "/oj-runner-self";
  if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::Internal("mkdir " + leaf + ": " + std::strerror(errno));
  }
  Status s = WriteText(leaf + "/cgroup.procs", "0");
  if (!s.ok()) return s;
  return WriteText(ctl, "+memory +pids +cpu");
}

}  // namespace

bool JobCgroup::IsV2() { return Exists(std::string(kRoot) + "/cgroup.controllers"); }

Result<JobCgroup> JobCgroup::Create(const std::string& runner_name, const std::string& run_name,
                                    const SandboxLimits& limits) {
  JobCgroup cg;
  cg.v2_ = IsV2();
  for (const std::string& base : RunnerDirs(runner_name)) {
    if (cg.v2_) {
      std::string parent = base.substr(0, base.rfind('/'));
      Status s = EnableV2Controllers(parent);
      if (!s.ok()) return s;
    }
    if (::mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::Internal("mkdir " + base + ": " + std::strerror(errno));
    }
    if (cg.v2_) (void)WriteText(base + "/cgroup.subtree_control", "+memory +pids +cpu");
    std::string dir = base + "/" + run_name;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      return Status::Internal("mkdir " + dir + ": " + std::strerror(errno));
    }
    cg.dirs_.push_back(dir);
    cg.procs_files_.push_back(dir + "/cgroup.procs");
  }
  const std::string mem = std::to_string(limits.memory_bytes);
  const std::string pids = std::to_string(limits.pids);
  Status s;
  if (cg.v2_) {
    const std::string& d = cg.dirs_[0];
    if (s.ok()) s = WriteText(d + "/memory.max", mem);
    if (s.ok() && Exists(d + "/memory.swap.max")) s = WriteText(d + "/memory.swap.max", "0");
    if (s.ok()) s = WriteText(d + "/pids.max", pids);
  } else {
    const std::string& m = cg.dirs_[0];
    if (s.ok()) s = WriteText(m + "/memory.limit_in_bytes", mem);
    if (s.ok() && Exists(m + "/memory.memsw.limit_in_bytes")) {
      s = WriteText(m + "/memory.memsw.limit_in_bytes", mem);
    }
    if (s.ok()) (void)WriteText(m + "/memory.swappiness", "0");
    if (s.ok()) s = WriteText(cg.dirs_[1] + "/pids.max", pids);
  }
  if (!s.ok()) return s;
  return cg;
}

JobCgroup::JobCgroup(JobCgroup&& o) noexcept
    : dirs_(std::move(o.dirs_)), procs_files_(std::move(o.procs_files_)), v2_(o.v2_) {
  o.dirs_.clear();
  o.procs_files_.clear();
}

JobCgroup& JobCgroup::operator=(JobCgroup&& o) noexcept {
  if (this != &o) {
    (void)Destroy();
    dirs_ = std::move(o.dirs_);
    procs_files_ = std::move(o.procs_files_);
    v2_ = o.v2_;
    o.dirs_.clear();
    o.procs_files_.clear();
  }
  return *this;
}

JobCgroup::~JobCgroup() { (void)Destroy(); }

void JobCgroup::KillAll() const {
  for (const auto& d : dirs_) KillDir(d);
}

bool JobCgroup::Empty() const {
  for (const auto& d : dirs_) {
    if (!Pids(d).empty()) return false;
  }
  return true;
}

CgroupUsage JobCgroup::Usage() const {
  CgroupUsage u;
  if (dirs_.empty()) return u;
  if (v2_) {
    const std::string& d = dirs_[0];
    u.cpu_ns = KeyValue(ReadText(d + "/cpu.stat"), "usage_usec") * 1000;
    u.peak_memory_bytes = ParseU64(ReadText(d + "/memory.peak"));
    u.oom_kills = KeyValue(ReadText(d + "/memory.events"), "oom_kill");
    u.pids_limit_hit = KeyValue(ReadText(d + "/pids.events"), "max") > 0;
  } else {
    u.peak_memory_bytes = ParseU64(ReadText(dirs_[0] + "/memory.max_usage_in_bytes"));
    u.oom_kills = KeyValue(ReadText(dirs_[0] + "/memory.oom_control"), "oom_kill");
    u.pids_limit_hit = KeyValue(ReadText(dirs_[1] + "/pids.events"), "max") > 0;
    u.cpu_ns = ParseU64(ReadText(dirs_[2] + "/cpuacct.usage"));
  }
  return u;
}

Status JobCgroup::Destroy() {
  Status first;
  for (const auto& d : dirs_) {
    KillDir(d);
    Status s = RemoveDir(d);
    if (first.ok() && !s.ok()) first = s;
  }
  dirs_.clear();
  procs_files_.clear();
  return first;
}

Result<int> JobCgroup::RemoveLeftovers(const std::string& runner_name) {
  int found = 0;
  for (const std::string& base : RunnerDirs(runner_name)) {
    DIR* d = ::opendir(base.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> runs;
    while (dirent* e = ::readdir(d)) {
      if (e->d_type == DT_DIR && e->d_name[0] != '.') runs.push_back(base + "/" + e->d_name);
    }
    ::closedir(d);
    for (const auto& r : runs) {
      ++found;
      KillDir(r);
      Status s = RemoveDir(r);
      if (!s.ok()) return s;
    }
  }
  return found;
}

}  // namespace oj::runner
