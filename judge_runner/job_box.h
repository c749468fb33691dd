// The job's writable area on the host: <work_dir>/<runner>/box, a tmpfs of
// BoxLimits size and inode count owned by the sandbox uid, holding submission/ (the
// extracted upload, where the build writes too) and out/ (result.json). The sandbox
// binds these two; nothing else it sees is writable but its private /tmp.
// The destructor unmounts and removes it; Create() first removes what a crashed
// predecessor left (a mount, files).
#pragma once

#include <string>

#include "core/status.h"
#include "judge_runner/limits.h"

namespace oj::runner {

class JobBox {
 public:
  static Result<JobBox> Create(const std::string& runner_dir, const BoxLimits& limits);
  JobBox() = default;
  JobBox(JobBox&& o) noexcept;
  JobBox& operator=(JobBox&& o) noexcept;
  JobBox(const JobBox&) = delete;
  JobBox& operator=(const JobBox&) = delete;
  ~JobBox();

  std::string submission_dir() const { return path_ + "/submission"; }
  std::string out_dir() const { return path_ + "/out"; }

  // Unmounts and removes <runner_dir>/box if present; returns true if something
  // was there.
  static Result<bool> RemoveLeftovers(const std::string& runner_dir);

 private:
  std::string path_;
};

}  // namespace oj::runner
