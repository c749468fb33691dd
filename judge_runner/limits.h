// The limits of one sandboxed run: every bound the native sandbox enforces, with its
// unit, its default and what happens when a program exceeds it. judge.toml may
// override each one per stage (build, test); extraction uses kExtractLimits.
#pragma once

#include <chrono>
#include <cstdint>

namespace oj::runner {

struct SandboxLimits {
  // CPU time of all processes of the run together (cgroup cpuacct), also set as each
  // process's RLIMIT_CPU (soft; hard = soft + 1 s). Exceeded: the whole cgroup is
  // killed and the stage ends with cpu_limit_hit (verdict time_limit).
  std::chrono::milliseconds cpu_time{10'000};
  // Wall-clock time from start to exit. Exceeded: the whole cgroup is killed, the
  // stage ends with wall_limit_hit (verdict time_limit).
  std::chrono::milliseconds wall_time{20'000};
  // Memory of the cgroup (anonymous memory, page cache and tmpfs pages), with swap
  // limited to the same value (no swap). Exceeded: the kernel's OOM killer kills a
  // process inside the cgroup; the cgroup's oom_kill count makes it memory_limit.
  uint64_t memory_bytes = 256ull << 20;
  // Processes and threads in the cgroup (pids.max). Exceeded: fork/clone fail with
  // EAGAIN; the run continues, the log notes that the process limit was reached.
  uint32_t pids = 64;
  // RLIMIT_FSIZE: largest file a process may write. Exceeded: SIGXFSZ / EFBIG.
  uint64_t file_size_bytes = 16ull << 20;
  // RLIMIT_NOFILE: open file descriptors per process. Exceeded: EMFILE.
  uint32_t open_files = 64;
  // stdout and stderr of the run, together, kept for the log. Exceeded: the whole
  // cgroup is killed, the stage ends with output_limit_hit (verdict output_limit).
  uint64_t output_bytes = 64ull << 10;
  // Size of the private /tmp (tmpfs). Exceeded: ENOSPC.
  uint64_t scratch_bytes = 64ull << 20;
};

// Extraction of the upload: small, fast, no network anyway.
inline constexpr SandboxLimits kExtractLimits{
    .cpu_time = std::chrono::milliseconds(10'000),
    .wall_time = std::chrono::milliseconds(15'000),
    .memory_bytes = 128ull << 20,
    .pids = 8,
    .file_size_bytes = 64ull << 20,
    .open_files = 32,
    .output_bytes = 16ull << 10,
    .scratch_bytes = 1ull << 20,
};

// The job's writable area (/submission and /out in the sandbox) is a tmpfs of this
// size and inode count mounted by the runner: what extraction, build and test may
// write there together. Exceeded: ENOSPC (extraction turns it into bad_archive).
struct BoxLimits {
  uint64_t bytes = 128ull << 20;
  uint64_t inodes = 8192;
};

}  // namespace oj::runner
