#include "judge_runner/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <thread>

#include "core/archive_link.h"
#include "core/archive_store.h"
#include "core/canary_store.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/queue_notify.h"
#include "core/sha256.h"
#include "judge_runner/archive_source.h"
#include "judge_runner/attribution.h"
#include "judge_runner/cgroup.h"
#include "judge_runner/job.h"
#include "judge_runner/job_box.h"
#include "judge_runner/pressure.h"
#include "judge_runner/seccomp.h"

namespace oj::runner {
namespace {

std::string HostName() {
  char h[HOST_NAME_MAX + 1] = {};
  if (::gethostname(h, sizeof h - 1) != 0) return "localhost";
  return h;
}

std::string SelfDir() {
  char p[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", p, sizeof p - 1);
  std::string s = n > 0 ? std::string(p, n) : "";
  return s.substr(0, s.rfind('/'));
}

const char* KindName(JobOutcome::Kind k) {
  switch (k) {
    case JobOutcome::Kind::kJudged:
      return "judged";
    case JobOutcome::Kind::kInternalError:
      return "internal error";
    case JobOutcome::Kind::kConfigError:
      return "module misconfigured";
    case JobOutcome::Kind::kAborted:
      return "aborted";
  }
  return "?";
}

}  // namespace

Runner::Runner(Config cfg, std::string config_path, uint32_t slot, RunnerFlags* flags)
    : cfg_(std::move(cfg)),
      config_path_(std::move(config_path)),
      slot_(slot),
      flags_(flags),
      db_(std::make_unique<Database>(cfg_.database)) {
  Sha256 h;
  h.Update(cfg_.runner.work_dir);
  runner_name_ = "w" + h.HexDigest().substr(0, 10) + "-s" + std::to_string(slot_);
  runner_dir_ = cfg_.runner.work_dir + "/" + runner_name_;
  extract_binary_ = SelfDir() + "/oj-extract";
  student_run_ = SelfDir() + "/oj-run";
  heartbeat_.host = HostName();
  heartbeat_.id = heartbeat_.host + ":" + std::to_string(slot_);
  heartbeat_.slot = slot_;
  heartbeat_.state = "idle";
  heartbeat_.started_at = FormatDbTime(std::chrono::system_clock::now());  // runner_restarted
  heartbeat_.pid = static_cast<uint32_t>(::getpid());
}

void Runner::Reload() {
  flags_->reload = 0;
  auto c = LoadConfig(config_path_);
  if (!c.ok()) {
    spdlog::error("SIGHUP: keeping the old configuration: {}", c.status().ToString());
    return;
  }
  if (c->runner.work_dir != cfg_.runner.work_dir) {
    spdlog::warn("SIGHUP: runner.work_dir changes only on restart");
    c->runner.work_dir = cfg_.runner.work_dir;
  }
  cfg_ = std::move(c.value());
  db_ = std::make_unique<Database>(cfg_.database);
  spdlog::info("SIGHUP: configuration reloaded from {}", config_path_);
}

void Runner::SetState(const std::string& state, const std::string& reason) {
  if (state == heartbeat_.state && reason == heartbeat_.reason) return;
  if (state == "held" || state == "disabled") {
    spdlog::warn("runner {} {}: {}", heartbeat_.id, state, reason);
  } else if (heartbeat_.state == "held") {
    spdlog::info("runner {} no longer held; resuming", heartbeat_.id);
  }
  heartbeat_.state = state;
  heartbeat_.reason = reason;
  Heartbeat(true);
}

void Runner::Heartbeat(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now < next_heartbeat_) return;
  next_heartbeat_ = now + std::chrono::seconds(cfg_.runner.heartbeat_s);
  Status s = RecordHeartbeat(*db_, heartbeat_);
  if (!s.ok()) spdlog::warn("heartbeat: {}", s.ToString());
}

void Runner::WaitForWork(std::chrono::milliseconds max) {
  if (!fifo_.valid()) {
    // O_RDWR: the FIFO never reports EOF (we are a writer too) and opening never blocks.
    fifo_.reset(::open(QueueFifoPath(cfg_.paths.run_dir).c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  }
  auto until_heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(
      next_heartbeat_ - std::chrono::steady_clock::now());
  auto wait = std::clamp(until_heartbeat, std::chrono::milliseconds(1), max);
  if (!fifo_.valid()) {
    std::this_thread::sleep_for(wait);
    return;
  }
  struct pollfd pf = {fifo_.get(), POLLIN, 0};
  if (::poll(&pf, 1, static_cast<int>(wait.count())) > 0) {
    char buf[512];
    while (::read(fifo_.get(), buf, sizeof buf) > 0) {
    }
  }
}

bool Runner::CleanLeftovers() {
  auto cg = JobCgroup::RemoveLeftovers(runner_name_);
  auto box = JobBox::RemoveLeftovers(runner_dir_);
  if (!cg.ok() || !box.ok()) {
    SetState("held", "cannot clean what a previous job left: " +
                         (!cg.ok() ? cg.status().message() : box.status().message()));
    return false;
  }
  if (cg.value() > 0 || box.value()) {
    spdlog::warn("removed leftovers of a previous job: {} cgroup(s){}", cg.value(),
                 box.value() ? ", a job directory" : "");
  }
  return true;
}

void Runner::JudgeOne(const ClaimedSubmission& job) {
  heartbeat_.state = "judging";
  heartbeat_.reason.clear();
  heartbeat_.submission_id = job.id;
  Heartbeat(true);
  bool lease_lost = false;
  JobEnv env;
  env.runner_name = runner_name_;
  env.runner_dir = runner_dir_;
  env.storage_dir = cfg_.paths.storage_dir;
  env.judges_dir = cfg_.paths.judges_dir;
  env.extract_binary = extract_binary_;
  env.student_run = student_run_;
  env.bwrap = cfg_.runner.bwrap_path;
  env.seccomp_file = seccomp_file_;
  env.seq = ++seq_;
  env.tick = [&]() -> bool {
    if (flags_->stop) return false;
    auto now = std::chrono::steady_clock::now();
    if (now < next_heartbeat_) return true;
    Status s = ExtendLease(*db_, job.id, heartbeat_.id, std::chrono::seconds(cfg_.runner.lease_s));
    if (s.code() == Status::Code::kFailedPrecondition) {
      lease_lost = true;
      return false;
    }
    Heartbeat(true);
    return true;
  };
  auto started = std::chrono::steady_clock::now();
  JobOutcome o;
  // The upload, checked against the row's size and SHA-256: local, or fetched from the
  // intake's nginx through a signed link (docs/scaling.md). A failed fetch or a mismatch is an
  // internal error (requeued); a missing local file is a misconfiguration, as before.
  auto archive = ObtainArchive(job);
  if (archive.ok()) {
    env.storage_dir = archive->dir();
    o = JudgeSubmission(job, env);
  } else {
    o.kind = archive.status().code() == Status::Code::kNotFound ? JobOutcome::Kind::kConfigError
                                                                : JobOutcome::Kind::kInternalError;
    o.reason = "archive: " + archive.status().message();
  }
  auto total = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  heartbeat_.submission_id.reset();
  heartbeat_.state = "idle";

  Status s;
  switch (o.kind) {
    case JobOutcome::Kind::kJudged:
      s = WriteResult(job.id, o.result);
      if (s.ok()) heartbeat_.internal_errors = 0;
      spdlog::info(
          "submission {} {}/{} verdict={} score={}/{} extract_ms={} build_ms={} test_ms={} "
          "total_ms={} cpu_ms={} peak_memory_kb={} attempt={}{}",
          job.id, job.course, job.module, o.result.verdict, o.result.score, o.result.max_score,
          o.extract.count(), o.build.count(), o.test.count(), total.count(), o.result.cpu_ms,
          o.result.peak_memory_kb, job.attempts + 1,
          s.ok() ? ""
          : s.code() == Status::Code::kFailedPrecondition
              ? " NOT WRITTEN: lease lost: result refused (another runner owns this submission)"
              : " NOT WRITTEN: " + s.ToString());
      break;
    case JobOutcome::Kind::kConfigError:
      s = FailAttempt(*db_, job.id, heartbeat_.id, 0, o.reason);
      spdlog::error("submission {} {}/{} verdict=judge_error ({}: {}) total_ms={}", job.id,
                    job.course, job.module, KindName(o.kind), o.reason, total.count());
      break;
    case JobOutcome::Kind::kInternalError: {
      ++heartbeat_.internal_errors;
      // Attributed before anyone is blamed (attribution.h): the self-test says whether
      // this runner, the module's judge or the submission failed.
      heartbeat_.state = "self_test";
      heartbeat_.submission_id = job.id;
      Heartbeat(true);
      SelfTestReport st = SelfTest(job, env);
      heartbeat_.submission_id.reset();
      heartbeat_.state = "idle";
      if (flags_->stop || lease_lost) {
        if (!lease_lost) s = ReleaseSubmission(*db_, job.id, heartbeat_.id);
        spdlog::warn("submission {}: internal error ({}); self-test interrupted, job returned",
                     job.id, o.reason);
        break;
      }
      Blame blame = AttributeFailure(st);
      FailureDecision d = DecideFailure(blame, job.attempts, cfg_.runner.max_attempts);
      std::string reason = o.reason;
      if (blame == Blame::kSubmission) {
        reason += st.canary_ok ? " (this runner's self-test and the module's canary pass)"
                               : " (this runner's self-test passes)";
      } else {
        reason += "; " + st.detail;
      }
      switch (d.job) {
        case JobStep::kRequeue:
          s = FailAttempt(*db_, job.id, heartbeat_.id, UINT32_MAX, reason);
          break;
        case JobStep::kEndJudgeError:
          s = FailAttempt(*db_, job.id, heartbeat_.id, 0, reason);
          break;
        case JobStep::kReturnUncharged:
          s = ReleaseSubmission(*db_, job.id, heartbeat_.id);
          break;
      }
      spdlog::error("submission {} {}/{} internal error #{} blamed on the {}: {}; {} total_ms={}",
                    job.id, job.course, job.module, heartbeat_.internal_errors, BlameName(blame),
                    reason,
                    d.job == JobStep::kRequeue         ? "requeued"
                    : d.job == JobStep::kEndJudgeError ? "ended judge_error"
                                                       : "returned to the queue uncharged",
                    total.count());
      if (d.disable_runner) {
        SetState("disabled", ("self-test failed: " + st.detail).substr(0, 250));
      } else {
        heartbeat_.internal_errors = 0;  // the sandbox works: nothing accumulates
      }
      break;
    }
    case JobOutcome::Kind::kAborted:
      if (lease_lost) {
        spdlog::warn("submission {} abandoned: lease lost (another runner may judge it)", job.id);
      } else {
        s = ReleaseSubmission(*db_, job.id, heartbeat_.id);
        spdlog::info("submission {} returned to the queue on shutdown after {} ms", job.id,
                     total.count());
      }
      break;
  }
  if (!s.ok() && o.kind != JobOutcome::Kind::kJudged) {
    spdlog::warn("submission {}: {}", job.id, s.ToString());
  }
  Heartbeat(true);
}

SelfTestReport Runner::SelfTest(const ClaimedSubmission& job, const JobEnv& env) {
  SelfTestReport r;
  Status builtin = RunBuiltinSelfTest(env);
  r.sandbox_ok = builtin.ok();
  if (!builtin.ok()) {
    r.detail = builtin.message();
    return r;
  }
  // The module's known-good archive, judged like any submission by this runner.
  auto canaries = ListCanaries(*db_, job.course);
  if (!canaries.ok()) {
    spdlog::warn("self-test: cannot list canaries: {}", canaries.status().ToString());
    return r;
  }
  const CanaryDef* def = nullptr;
  for (const CanaryDef& c : *canaries) {
    if (c.module == job.module && c.enabled) def = &c;
  }
  if (def == nullptr) return r;
  auto bytes = LoadCanaryArchive(*db_, def->module_id);
  std::string dir = runner_dir_ + "-canary";
  Status w = bytes.ok() ? MakeDirs(dir, 0700) : bytes.status();
  if (w.ok()) w = WriteFileAtomic(dir + "/canary.tar.bz2", *bytes);
  if (!w.ok()) {
    spdlog::warn("self-test: cannot prepare the canary of {}/{}: {}", job.course, job.module,
                 w.ToString());
    return r;
  }
  ClaimedSubmission canary = job;
  canary.id = "canary-selftest";
  canary.storage_key = "canary.tar.bz2";
  JobEnv cenv = env;
  cenv.storage_dir = dir;
  cenv.seq = ++seq_;
  JobOutcome o = JudgeSubmission(canary, cenv);
  bool right = o.kind == JobOutcome::Kind::kJudged && o.result.verdict == def->expect.verdict &&
               (!def->expect.score || std::abs(o.result.score - *def->expect.score) < 1e-9);
  r.canary_ok = right;
  if (!right) {
    r.detail = "the module's canary (expected " + FormatCanaryExpectation(def->expect) + ") got " +
               (o.kind == JobOutcome::Kind::kJudged
                    ? o.result.verdict + "/" + std::to_string(o.result.score)
                    : std::string("an internal error: ") + o.reason);
  }
  return r;
}

Result<LocalArchive> Runner::ObtainArchive(const ClaimedSubmission& job) {
  auto want = LoadStoredArchive(*db_, job.id);
  if (!want.ok()) return want.status();
  ArchiveSourceConfig a;
  a.storage_dir = cfg_.paths.storage_dir;
  a.archive_url = cfg_.runner.archive_url;
  a.link_ttl = std::chrono::seconds(cfg_.runner.archive_link_ttl_s);
  a.timeout = std::chrono::seconds(cfg_.runner.archive_fetch_timeout_s);
  a.cache_dir = runner_dir_ + "-fetched";
  if (!a.archive_url.empty()) {
    auto secret = LoadArchiveSecret(cfg_.paths.keys_dir);
    if (!secret.ok()) return secret.status();
    a.secret = *secret;
  }
  return PrepareArchive(a, *want,
                        std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

Status Runner::WriteResult(const std::string& id, const JudgedResult& r) {
  // A host cut off from the database keeps its result until the database answers
  // again (bounded), so the answer is a definite one: written, or refused because
  // the lease was lost meanwhile (the fence in FinishSubmission).
  const auto give_up = std::chrono::steady_clock::now() + kResultRetryFor;
  for (;;) {
    Status s = FinishSubmission(*db_, id, heartbeat_.id, r);
    if (s.code() != Status::Code::kUnavailable || flags_->stop ||
        std::chrono::steady_clock::now() > give_up) {
      return s;
    }
    spdlog::warn("submission {}: result not written yet, database unreachable ({}); retrying", id,
                 s.ToString());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int Runner::Run() {
  Status s = MakeDirs(cfg_.runner.work_dir, 0755);
  if (!s.ok()) {
    spdlog::critical("work directory: {}", s.ToString());
    return 1;
  }
  spdlog::info("runner {} (slot {}) started; work dir {}", heartbeat_.id, slot_, runner_dir_);
  seccomp_file_ = runner_dir_ + ".seccomp.bpf";
  if (Status f = WriteSeccompFilter(seccomp_file_); !f.ok()) {
    // Judging without the filter would be judging with less protection than documented.
    SetState("disabled", ("cannot write the seccomp filter: " + f.message()).substr(0, 250));
  }
  Heartbeat(true);
  if (auto cipher = db_->SessionCipher(); cipher.ok()) {  // says whether tls_mode took effect
    spdlog::info("database session: {}",
                 cipher->empty() ? std::string("not encrypted") : "TLS cipher " + *cipher);
  }
  bool db_down_logged = false;
  while (!flags_->stop) {
    if (flags_->reload) Reload();
    const auto idle = std::chrono::milliseconds(cfg_.runner.idle_poll_ms);
    if (heartbeat_.state == "disabled") {
      Heartbeat(false);
      WaitForWork(idle);
      continue;
    }
    std::string hold = HoldReason(ReadPressure(cfg_.runner), cfg_.runner);
    if (!hold.empty()) {
      SetState("held", hold);
      WaitForWork(std::min(idle, std::chrono::milliseconds(1000)));
      Heartbeat(false);
      continue;
    }
    if (!CleanLeftovers()) {
      WaitForWork(idle);
      continue;
    }
    if (heartbeat_.state == "held") SetState("idle", "");
    auto expired = RequeueExpired(*db_, cfg_.runner.max_attempts);
    if (expired.ok() && (expired->requeued > 0 || expired->failed > 0)) {
      spdlog::warn("expired leases: {} requeued, {} ended judge_error", expired->requeued,
                   expired->failed);
    }
    auto job = ClaimNext(*db_, heartbeat_.id, std::chrono::seconds(cfg_.runner.lease_s));
    if (!job.ok()) {
      if (!db_down_logged) spdlog::error("claim: {}", job.status().ToString());
      db_down_logged = true;
      WaitForWork(idle);
      continue;
    }
    db_down_logged = false;
    if (!job.value()) {
      Heartbeat(false);
      WaitForWork(idle);
      continue;
    }
    JudgeOne(*job.value());
  }
  heartbeat_.state = "idle";
  heartbeat_.reason = "stopped";
  Heartbeat(true);
  spdlog::info("runner {} stopped", heartbeat_.id);
  return 0;
}

}  // namespace oj::runner
