// The job's writable spaces on the host: <work_dir>/<runner>/box, a small tmpfs
// holding three mount points, each a tmpfs of its own owned by the sandbox uid with the
// bytes and inodes of BoxLimits / SandboxLimits (limits.h):
//   submission/  the extracted upload, where the build and the program write too
//   out/         the judge's result.json; only the test stage's judge sees it
//   scratch/     the stage's /tmp, mounted fresh for each stage (ResetScratch)
//   program-tmp/, program-shm/
//                the /tmp and /dev/shm of the student's program under oj-run, mounted
//                for the test stage (MountProgramSpaces)
// Filling one takes no room from the others. The sandbox binds them; nothing else it
// sees is writable. The destructor unmounts (lazily, the whole tree) and removes it;
// Create() first removes what a crashed predecessor left (mounts, files).
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
  std::string scratch_dir() const { return path_ + "/scratch"; }

  std::string program_tmp_dir() const { return path_ + "/program-tmp"; }
  std::string program_shm_dir() const { return path_ + "/program-shm"; }

  // Mounts a fresh, empty scratch tmpfs of these limits (unmounting the previous one).
  Status ResetScratch(const SpaceLimits& limits);
  // Mounts program-tmp/ and program-shm/ with the limits' program_* and shm_bytes.
  Status MountProgramSpaces(const SandboxLimits& limits);

  // Unmounts and removes <runner_dir>/box if present; returns true if something
  // was there.
  static Result<bool> RemoveLeftovers(const std::string& runner_dir);

 private:
  std::string path_;
};

// What the upload, the build or the program left for the judge becomes regular files
// and directories only: links, FIFOs, sockets and device nodes under dir are removed (a
// link would resolve in the judge's view: answer.txt -> /judge/secret.txt), and modes
// are made readable by their owner (a mode-000 file must not crash the judge). Never
// follows a link. Returns how many entries it removed. REQUIRES: no process writes dir.
Result<size_t> KeepRegularFilesOnly(const std::string& dir);

}  // namespace oj::runner
