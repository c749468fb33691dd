// Judging one claimed submission: read the module's judge.toml, extract the upload in
// the sandbox, build, test, read result.json, decide the verdict. No database: the
// runner loop claims, renews the lease through `tick`, and writes what this returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/queue_store.h"
#include "judge_runner/sandbox.h"

namespace oj::runner {

// Where the test stage finds oj-run, the nested sandbox for the student's program.
inline constexpr const char* kStudentRunPath = "/run/oj/oj-run";
inline constexpr const char* kSeccompPath = "/run/oj/seccomp.bpf";
// The program's /tmp and /dev/shm (JobBox::MountProgramSpaces), which oj-run binds there.
inline constexpr const char* kProgramTmpPath = "/run/oj/program-tmp";
inline constexpr const char* kProgramShmPath = "/run/oj/program-shm";

struct JobEnv {
  std::string runner_name;  // cgroup and work directory owner
  std::string runner_dir;   // <work_dir>/<runner_name>
  std::string storage_dir;
  std::string judges_dir;
  std::string extract_binary;  // oj-extract, bound read-only into the sandbox
  std::string student_run;     // oj-run, bound read-only at kStudentRunPath in the test stage
  std::string bwrap = "/usr/bin/bwrap";  // runner.bwrap_path
  // The seccomp filter for the student's code (extraction, build, and the program under
  // oj-run); empty: none. Bound at kSeccompPath in the test stage for oj-run.
  std::string seccomp_file;
  uint64_t seq = 0;  // makes cgroup names unique per run
  TickFn tick;
  std::chrono::milliseconds tick_interval{200};
};

struct JobOutcome {
  enum class Kind {
    kJudged,         // result holds the student's verdict
    kInternalError,  // runner, sandbox or judge script failed: requeue, count
    kConfigError,    // the module's judge is missing or invalid: retrying cannot help
    kAborted,        // tick returned false (shutdown or lease lost)
  };
  Kind kind = Kind::kJudged;
  std::string reason;  // for kInternalError / kConfigError
  JudgedResult result;
  std::chrono::milliseconds extract{0}, build{0}, test{0};
};

JobOutcome JudgeSubmission(const ClaimedSubmission& job, const JobEnv& env);

// The built-in self-test (attribution.h): a trivial program through both sandbox
// levels (the job's sandbox, then oj-run's nested one), with the job's box, cgroup and
// filter. Ok when it printed what it should; otherwise what failed.
Status RunBuiltinSelfTest(const JobEnv& env);

}  // namespace oj::runner
