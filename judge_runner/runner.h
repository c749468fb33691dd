// The runner loop of one slot: pressure gate, leftover check, lease expiry, claim,
// judge, write the result fenced on the lease; heartbeat in `runners` throughout.
//
// Idle, it waits on <run_dir>/queue.fifo (one byte per committed upload) with a
// fallback database poll every idle_poll_ms. An internal error is attributed first
// (attribution.h): the runner runs its self-test, and only when that fails does it
// disable itself (state disabled, reason) until it is restarted; otherwise the job is
// requeued once or ends judge_error and the runner goes on. SIGTERM (stop flag): the current job is
// returned to the queue and Run() returns. SIGHUP (reload flag): the configuration file is read
// again between jobs.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/db.h"
#include "core/fs.h"
#include "core/queue_store.h"
#include "judge_runner/archive_source.h"
#include "judge_runner/attribution.h"
#include "judge_runner/job.h"

namespace oj::runner {

// How long a finished job's result is retried while the database is unreachable.
inline constexpr std::chrono::seconds kResultRetryFor{300};

struct RunnerFlags {
  volatile std::sig_atomic_t stop = 0;
  volatile std::sig_atomic_t reload = 0;
};

class Runner {
 public:
  // REQUIRES: flags outlives the runner; config_path is what SIGHUP re-reads.
  Runner(Config cfg, std::string config_path, uint32_t slot, RunnerFlags* flags);
  // Runs until flags->stop. Returns the process exit code.
  int Run();

  const std::string& id() const { return heartbeat_.id; }

 private:
  void Reload();
  void SetState(const std::string& state, const std::string& reason);
  void Heartbeat(bool force);
  void WaitForWork(std::chrono::milliseconds max);
  bool CleanLeftovers();
  void JudgeOne(const ClaimedSubmission& job);
  Result<LocalArchive> ObtainArchive(const ClaimedSubmission& job);
  // After an internal error: the built-in self-test, then the module's canary if any.
  SelfTestReport SelfTest(const ClaimedSubmission& job, const JobEnv& env);
  // FinishSubmission, retried while the database is unreachable (kResultRetryFor).
  Status WriteResult(const std::string& id, const JudgedResult& r);

  Config cfg_;
  std::string config_path_;
  uint32_t slot_;
  RunnerFlags* flags_;
  std::unique_ptr<Database> db_;
  std::string runner_name_;  // unique per work_dir and slot: cgroup and box owner
  std::string runner_dir_;
  std::string extract_binary_;
  std::string student_run_;
  std::string seccomp_file_;  // <work_dir>/<runner_name>.seccomp.bpf, written at start
  RunnerHeartbeat heartbeat_;
  std::chrono::steady_clock::time_point next_heartbeat_{};
  uint64_t seq_ = 0;
  UniqueFd fifo_;
};

}  // namespace oj::runner
