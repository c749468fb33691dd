#include "judge_runner/job.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/fs.h"
#include "core/utf8.h"
#include "judge_runner/archive.h"
#include "judge_runner/job_box.h"
#include "judge_runner/judge_config.h"
#include "judge_runner/verdict.h"

namespace oj::runner {
namespace {

constexpr size_t kLogMax = 64 << 10;  // judge log bytes kept per submission
constexpr ArchiveLimits kArchiveLimits{};
constexpr BoxLimits kBoxLimits{};

using Kind = JobOutcome::Kind;

StageOutcome ToOutcome(const SandboxResult& r) {
  StageOutcome o;
  o.exit_code = r.exit_code;
  o.term_signal = r.term_signal;
  o.cpu_limit_hit = r.cpu_limit_hit;
  o.wall_limit_hit = r.wall_limit_hit;
  o.output_limit_hit = r.output_limit_hit;
  o.pids_limit_hit = r.pids_limit_hit;
  o.oom_kills = r.oom_kills;
  return o;
}

class LogBuilder {
 public:
  void Section(const std::string& title, const std::string& text) {
    Add("== " + title + " ==\n");
    Add(text);
    if (!text.empty() && text.back() != '\n') Add("\n");
  }
  void Note(const std::string& line) { Add("-- " + line + "\n"); }
  std::string log;
  bool truncated = false;

 private:
  void Add(const std::string& s) {
    size_t room = kLogMax > log.size() ? kLogMax - log.size() : 0;
    if (s.size() <= room) {
      log.append(s);
      return;
    }
    truncated = true;
    log.append(s, 0, Utf8CutPoint(s, room));  // the cut keeps characters whole
  }
};

void NoteLimits(LogBuilder& log, const SandboxResult& r, const SandboxLimits& l) {
  if (r.pids_limit_hit) log.Note("process limit (" + std::to_string(l.pids) + ") reached");
  if (r.oom_kills > 0) {
    log.Note("memory limit (" + std::to_string(l.memory_bytes >> 20) +
             " MiB) reached: " + std::to_string(r.oom_kills) + " process(es) killed");
  }
  if (r.cpu_limit_hit) log.Note("CPU time limit (" + std::to_string(l.cpu_time.count()) + " ms)");
  if (r.wall_limit_hit)
    log.Note("wall-clock limit (" + std::to_string(l.wall_time.count()) + " ms)");
  if (r.output_limit_hit) {
    log.Note("output limit (" + std::to_string(l.output_bytes) + " bytes): output cut, run killed");
  }
}

std::string ResolveJudgeDir(const std::string& judges_dir, const std::string& judge_dir) {
  if (judge_dir.empty() || judge_dir[0] == '/') return judge_dir;
  return judges_dir + "/" + judge_dir;
}

Result<std::string> ReadResultFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return Status::NotFound("no result.json");
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("result.json is not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > kResultJsonMaxBytes) {
    return Status::InvalidArgument("result.json is larger than 1 MiB");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  ssize_t n = ::read(fd.get(), text.data(), text.size());
  if (n < 0) return Status::Internal(std::string("read result.json: ") + std::strerror(errno));
  text.resize(static_cast<size_t>(n));
  return text;
}

SandboxSpec BaseSpec(const JobEnv& env, const JobBox& box, const std::vector<std::string>& argv,
                     const SandboxLimits& limits, int run) {
  SandboxSpec s;
  s.argv = argv;
  s.limits = limits;
  s.runner_name = env.runner_name;
  s.run_name = std::to_string(env.seq) + "-" + std::to_string(run);
  s.cwd = "/submission";
  s.bwrap = env.bwrap;
  s.scratch_dir = box.scratch_dir();
  s.binds.push_back({box.submission_dir(), "/submission", true});
  return s;
}

// The test stage's judge: its /out, oj-run with the program's limits and filter.
void AddTestStageBinds(const JobEnv& env, const JobBox& box, SandboxSpec& s) {
  s.binds.push_back({box.out_dir(), "/out", true});
  s.binds.push_back({env.student_run, kStudentRunPath, false});
  if (!env.seccomp_file.empty()) {
    s.binds.push_back({env.seccomp_file, kSeccompPath, false});
    s.env.push_back(std::string("OJ_RUN_SECCOMP=") + kSeccompPath);
  }
  s.env.push_back("OJ_RESULT=/out/result.json");
  s.env.push_back(std::string("OJ_RUN=") + kStudentRunPath);
  s.binds.push_back({box.program_tmp_dir(), kProgramTmpPath, true});
  s.binds.push_back({box.program_shm_dir(), kProgramShmPath, true});
}

}  // namespace

Status RunBuiltinSelfTest(const JobEnv& env) {
  auto box = JobBox::Create(env.runner_dir, kBoxLimits);
  if (!box.ok()) return Status::Internal("self-test: " + box.status().message());
  SandboxLimits limits;
  limits.cpu_time = std::chrono::milliseconds(5000);
  limits.wall_time = std::chrono::milliseconds(15000);
  SandboxSpec s =
      BaseSpec(env, *box, {kStudentRunPath, "/bin/sh", "-c", "echo oj-self-test-ok"}, limits, 0);
  s.run_name = std::to_string(env.seq) + "-selftest";
  AddTestStageBinds(env, *box, s);
  Status scratch = box->ResetScratch({limits.scratch_bytes, limits.scratch_inodes});
  if (scratch.ok()) scratch = box->MountProgramSpaces(limits);
  if (!scratch.ok()) return Status::Internal("self-test: " + scratch.message());
  auto r = RunSandboxed(s, env.tick, env.tick_interval);
  if (!r.ok()) return Status::Internal("self-test: " + r.status().message());
  if (r->aborted) return Status::Aborted("self-test aborted");
  if (r->exit_code != 0 || r->output.find("oj-self-test-ok") == std::string::npos) {
    return Status::Internal("self-test: a trivial program through oj-run ended with exit " +
                            std::to_string(r->exit_code) + " signal " +
                            std::to_string(r->term_signal) +
                            ", output: " + r->output.substr(0, 300));
  }
  return Status::Ok();
}

JobOutcome JudgeSubmission(const ClaimedSubmission& job, const JobEnv& env) {
  JobOutcome out;
  auto fail = [&](Kind kind, std::string reason) {
    out.kind = kind;
    out.reason = std::move(reason);
    return out;
  };
  const std::string judge_dir = ResolveJudgeDir(env.judges_dir, job.judge_dir);
  if (judge_dir.empty()) return fail(Kind::kConfigError, "module has no judge_dir");
  auto toml = ReadSmallFile(judge_dir + "/judge.toml", 64 << 10);
  if (!toml.ok()) return fail(Kind::kConfigError, "judge.toml: " + toml.status().message());
  auto cfg = ParseJudgeConfig(toml.value());
  if (!cfg.ok()) return fail(Kind::kConfigError, cfg.status().message());

  UniqueFd upload(
      ::open((env.storage_dir + "/" + job.storage_key).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!upload.valid()) {
    return fail(Kind::kConfigError,
                "stored upload " + job.storage_key + ": " + std::strerror(errno));
  }
  auto box = JobBox::Create(env.runner_dir, kBoxLimits);
  if (!box.ok()) return fail(Kind::kInternalError, box.status().message());

  LogBuilder log;
  VerdictInput vin;
  vin.max_score = cfg->max_score;
  uint64_t cpu_ms = 0, peak = 0;
  int run = 0;
  auto spec_for = [&](const std::vector<std::string>& argv, const SandboxLimits& limits) {
    SandboxSpec s = BaseSpec(env, *box, argv, limits, ++run);
    s.root_fs = cfg->root;
    return s;
  };
  auto account = [&](const SandboxResult& r) {
    cpu_ms += static_cast<uint64_t>(r.cpu.count());
    peak = std::max(peak, r.peak_memory_bytes);
  };

  // 1. Extraction, reading the upload from stdin: the storage directory is never mounted.
  SandboxSpec ex =
      spec_for({"/run/oj-extract", "--max-entries", std::to_string(kArchiveLimits.max_entries),
                "--max-bytes", std::to_string(kArchiveLimits.max_bytes)},
               kExtractLimits);
  if (cfg->links == LinkPolicy::kRefuse) ex.argv.insert(ex.argv.end(), {"--links", "refuse"});
  ex.binds.push_back({env.extract_binary, "/run/oj-extract", false});
  ex.stdin_fd = upload.get();
  ex.seccomp_file = env.seccomp_file;
  Status scratch = box->ResetScratch({ex.limits.scratch_bytes, ex.limits.scratch_inodes});
  if (!scratch.ok()) return fail(Kind::kInternalError, scratch.message());
  auto er = RunSandboxed(ex, env.tick, env.tick_interval);
  if (!er.ok()) return fail(Kind::kInternalError, "extract: " + er.status().message());
  out.extract = er->wall;
  account(*er);
  if (er->aborted) return fail(Kind::kAborted, "aborted during extraction");
  log.Section("extract", er->output);
  if (er->oom_kills > 0 || er->cpu_limit_hit || er->wall_limit_hit || er->output_limit_hit ||
      er->exit_code == kExtractLimit) {
    NoteLimits(log, *er, kExtractLimits);
    vin.extract = ExtractStatus::kLimit;
  } else if (er->exit_code == kExtractRefused) {
    vin.extract = ExtractStatus::kRefused;
  } else if (er->exit_code != kExtractOk) {
    // oj-extract itself failed (its usage, a crash): ours, never the student's.
    return fail(Kind::kInternalError,
                "oj-extract ended with exit code " + std::to_string(er->exit_code) + " signal " +
                    std::to_string(er->term_signal) + ": " + er->output.substr(0, 500));
  }

  // The build runs the student's tooling (a Makefile, a build script), so it sees neither the
  // judge's files (expected outputs) nor /out; only the test stage, driven by the judge
  // script, gets them, and the judge runs the student's program through oj-run, which
  // nests another sandbox without /judge and /out (docs/runner.md, "Separation").
  auto stage = [&](const StageConfig& sc, const char* name,
                   std::chrono::milliseconds& took) -> std::optional<StageOutcome> {
    const bool is_test = std::string_view(name) == "test";
    SandboxSpec s = spec_for(sc.command, sc.limits);
    s.env = {std::string("OJ_STAGE=") + name, "OJ_SUBMISSION=" + job.id};
    if (is_test) {
      s.binds.push_back({judge_dir, "/judge", false});
      AddTestStageBinds(env, *box, s);
      if (Status m = box->MountProgramSpaces(sc.limits); !m.ok()) {
        StageOutcome failed;
        failed.sandbox_failed = true;
        out.reason = std::string(name) + ": " + m.message();
        return failed;
      }
    } else {
      s.seccomp_file = env.seccomp_file;  // the build is the student's tooling
    }
    Status fresh = box->ResetScratch({sc.limits.scratch_bytes, sc.limits.scratch_inodes});
    if (!fresh.ok()) {
      StageOutcome failed;
      failed.sandbox_failed = true;
      out.reason = std::string(name) + ": " + fresh.message();
      return failed;
    }
    auto r = RunSandboxed(s, env.tick, env.tick_interval);
    if (!r.ok()) {
      StageOutcome failed;
      failed.sandbox_failed = true;
      out.reason = std::string(name) + ": " + r.status().message();
      return failed;
    }
    took = r->wall;
    account(*r);
    if (r->aborted) {
      out.kind = Kind::kAborted;
      return std::nullopt;
    }
    log.Section(name, r->output);
    NoteLimits(log, *r, sc.limits);
    return ToOutcome(*r);
  };

  bool go = vin.extract == ExtractStatus::kOk;
  if (go && cfg->build) {
    vin.build = stage(*cfg->build, "build", out.build);
    if (out.kind == Kind::kAborted) return fail(Kind::kAborted, "aborted during build");
    go = vin.build->exit_code == 0 && vin.build->term_signal == 0 && !vin.build->sandbox_failed &&
         !vin.build->cpu_limit_hit && !vin.build->wall_limit_hit && vin.build->oom_kills == 0 &&
         !vin.build->output_limit_hit;
  }
  if (go) {
    // What the upload and the build left for the judge: regular files and directories
    // only. A link (answer.txt -> /judge/secret.txt) would resolve in the judge's view.
    auto swept = KeepRegularFilesOnly(box->submission_dir());
    if (!swept.ok()) return fail(Kind::kInternalError, swept.status().message());
    if (*swept > 0) {
      log.Note("removed " + std::to_string(*swept) +
               " link(s) or special file(s) from /submission: the judge reads regular files only");
    }
    vin.test = stage(cfg->test, "test", out.test);
    if (out.kind == Kind::kAborted) return fail(Kind::kAborted, "aborted during test");
    if (!vin.test->sandbox_failed) {
      auto text = ReadResultFile(box->out_dir() + "/result.json");
      if (text.ok()) {
        auto report = ParseResultJson(text.value());
        if (report.ok()) {
          vin.report = std::move(report.value());
        } else {
          log.Note(report.status().message());
        }
      } else {
        log.Note(text.status().message());
      }
    }
  }

  Decision v = DecideVerdict(vin);
  if (v.judge_error) {
    return fail(Kind::kInternalError, out.reason.empty() ? v.reason : out.reason + "; " + v.reason);
  }
  log.Note("verdict " + v.verdict + ": " + v.reason);
  JudgedResult& res = out.result;
  res.verdict = v.verdict;
  res.score = v.score;
  res.max_score = v.max_score;
  if (vin.report) {
    res.tests = vin.report->tests;
  }
  res.log = std::move(log.log);
  res.log_truncated = log.truncated;
  res.cpu_ms = cpu_ms;
  res.wall_ms = static_cast<uint64_t>((out.extract + out.build + out.test).count());
  res.peak_memory_kb = peak / 1024;
  return out;
}

}  // namespace oj::runner
