// A cgroup per sandboxed run: memory (no swap), pids and CPU accounting, and a way to
// kill every process in it. cgroup v2 where the host mounts a unified hierarchy with
// controllers at /sys/fs/cgroup, v1 otherwise (memory, pids, cpuacct hierarchies).
//
// Layout: <controller mount><runner's own cgroup>/oj-<runner>/<run>. A runner owns the
// oj-<runner> directory: RemoveLeftovers() kills and removes whatever a crashed
// predecessor left there. The JobCgroup destructor kills its processes and removes
// its directories, retrying while the kernel still reports them busy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "judge_runner/limits.h"

namespace oj::runner {

struct CgroupUsage {
  uint64_t cpu_ns = 0;
  uint64_t peak_memory_bytes = 0;
  uint64_t oom_kills = 0;  // processes the OOM killer killed in this cgroup
  bool pids_limit_hit = false;
};

class JobCgroup {
 public:
  // Creates the run's cgroup under the runner's directory and applies limits.
  static Result<JobCgroup> Create(const std::string& runner_name, const std::string& run_name,
                                  const SandboxLimits& limits);
  JobCgroup() = default;
  JobCgroup(JobCgroup&& o) noexcept;
  JobCgroup& operator=(JobCgroup&& o) noexcept;
  JobCgroup(const JobCgroup&) = delete;
  JobCgroup& operator=(const JobCgroup&) = delete;
  ~JobCgroup();

  // Files a child writes "0" into (after fork, before exec) to join the cgroup.
  const std::vector<std::string>& procs_files() const { return procs_files_; }
  // SIGKILLs every process in the cgroup until it is empty (bounded retries).
  void KillAll() const;
  bool Empty() const;
  CgroupUsage Usage() const;
  // Kills, then removes the directories. Ok when gone.
  Status Destroy();

  // Kills and removes every run cgroup under the runner's directory. Returns how many
  // were found (leftovers of a crash) or an error if some could not be removed.
  static Result<int> RemoveLeftovers(const std::string& runner_name);
  static bool IsV2();

 private:
  std::vector<std::string> dirs_;  // one per hierarchy (v1) or one (v2)
  std::vector<std::string> procs_files_;
  bool v2_ = false;
};

}  // namespace oj::runner
