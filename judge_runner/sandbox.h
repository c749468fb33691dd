// The native sandbox: one program run under bubblewrap inside its own cgroup.
//
// Theory of operation. The runner (root) forks a child that joins the run's cgroup
// (memory without swap, pids, CPU accounting), sets RLIMITs (CPU, FSIZE, NOFILE,
// CORE = 0), drops to the unprivileged uid/gid 65534 on the host, asks for SIGKILL if
// the runner dies, and execs bwrap. bwrap, unprivileged, creates new user, PID, mount,
// network, IPC, UTS and cgroup namespaces (--unshare-all), so the program sees:
//   /usr, /bin, /lib*, /sbin     read-only binds of the host's (or judge.toml's root)
//   /etc                          a handful of read-only files (ld.so.cache, alternatives)
//   /proc, /dev                   the sandbox's own PID namespace; minimal devices
//   /judge                        the module's judge directory, read-only
//   /submission, /out             the job's writable tmpfs (size- and inode-capped)
//   /tmp                          a private scratch tmpfs (limits.scratch_bytes/inodes)
//   everything else               absent; / itself is read-only
// No network interface exists but loopback, so connect() to anything fails. bwrap is
// PID 1 of the namespace: when the program exits, every process it left behind dies
// with the namespace; the runner then kills whatever is still in the cgroup anyway.
// The parent reads the program's stdout+stderr (capped), enforces the wall clock and
// the cgroup's CPU total by killing the whole cgroup, and reaps. bwrap's
// --json-status-fd tells a program that ran apart from a sandbox that failed to start,
// which is an internal error, never the student's.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "judge_runner/limits.h"

namespace oj::runner {

struct Bind {
  std::string source;  // host path
  std::string target;  // path inside the sandbox
  bool writable = false;
};

struct SandboxSpec {
  std::vector<std::string> argv;  // inside the sandbox
  std::vector<Bind> binds;        // besides the system directories
  std::vector<std::string> env;   // "KEY=value"; PATH, HOME and LANG are set already
  std::string cwd = "/";
  std::string root_fs;  // system directories from here; empty: the host's
  int stdin_fd = -1;    // -1: /dev/null
  // A tmpfs the caller mounted (JobBox::ResetScratch: bytes and inodes capped), bound
  // writable at /tmp; empty: bwrap's own tmpfs of limits.scratch_bytes.
  std::string scratch_dir;
  // A compiled seccomp filter (SeccompFilter::Write) that bwrap applies to the program;
  // empty: none. Not for a stage that itself nests a sandbox (the test stage's judge).
  std::string seccomp_file;
  std::string bwrap = "/usr/bin/bwrap";  // runner.bwrap_path
  SandboxLimits limits;
  std::string runner_name;  // cgroup directory owner
  std::string run_name;     // unique per run of this runner
};

struct SandboxResult {
  int exit_code = -1;   // of the program; -1 if it died by a signal
  int term_signal = 0;  // signal that ended it (0: it exited)
  bool cpu_limit_hit = false;
  bool wall_limit_hit = false;
  bool output_limit_hit = false;
  bool pids_limit_hit = false;
  uint64_t oom_kills = 0;
  bool aborted = false;  // the tick callback asked to stop (shutdown, lease lost)
  std::chrono::milliseconds wall{0};
  std::chrono::milliseconds cpu{0};
  uint64_t peak_memory_bytes = 0;
  std::string output;  // stdout and stderr interleaved, at most limits.output_bytes
};

// Called about every tick_interval while the program runs; returning false aborts
// the run (the cgroup is killed, result.aborted is set).
using TickFn = std::function<bool()>;

// Runs spec. A non-ok Status means the sandbox itself failed (internal error).
Result<SandboxResult> RunSandboxed(const SandboxSpec& spec, const TickFn& tick,
                                   std::chrono::milliseconds tick_interval);

// The bwrap command line for spec (without the status fd option); exposed for tests
// and the docs.
std::vector<std::string> BwrapArgs(const SandboxSpec& spec);

// The uid and gid the sandboxed program runs as, on the host and inside.
inline constexpr unsigned kSandboxUid = 65534;
inline constexpr unsigned kSandboxGid = 65534;

}  // namespace oj::runner
