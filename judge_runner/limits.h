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
  // The stage's scratch /tmp: a tmpfs of its own, mounted fresh for each stage (what the
  // build leaves there never reaches the judge). Exceeded: ENOSPC for the writer; the
  // judge's or the program's error becomes the verdict, never an internal error.
  uint64_t scratch_bytes = 64ull << 20;
  uint64_t scratch_inodes = 4096;
  // /dev/shm: a tmpfs of this size here and in the nested sandbox of the student's
  // program. Exceeded: ENOSPC. Without a size it would be bounded only by the memory
  // cgroup, and tmpfs pages are not freed by killing whoever wrote them.
  uint64_t shm_bytes = 16ull << 20;
  // The student's program under oj-run (test stage): its /tmp and its /dev/shm are two
  // tmpfs the runner mounts with these bytes (shm: shm_bytes) and files each, emptied
  // after every run. Exceeded: ENOSPC for the program. Their sum stays well under
  // memory_bytes, so filling them never makes the OOM killer pick the judge (the
  // program's processes are its first choice anyway: oom_score_adj 1000).
  uint64_t program_tmp_bytes = 16ull << 20;
  uint64_t program_files = 1024;
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
    .scratch_inodes = 64,
    .shm_bytes = 1ull << 20,
    .program_tmp_bytes = 0,
    .program_files = 0,
};

// One tmpfs the runner mounts: bytes and inodes (files and directories).
struct SpaceLimits {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};

// The job's spaces, each a tmpfs of its own mounted by the runner for the whole job, so
// filling one never takes room from another (so the judge can always write result.json):
struct BoxLimits {
  // /submission: the extracted upload, the build's output, whatever the program writes.
  // Exceeded: ENOSPC (extraction makes it bad_archive; in the build or the test, the
  // tool's or the program's error becomes the verdict).
  SpaceLimits submission{128ull << 20, 8192};
  // /out: the judge's own output (result.json, at most kResultJsonMaxBytes). Only the
  // judge script sees it; the program never does.
  SpaceLimits out{2ull << 20, 64};
};

}  // namespace oj::runner
