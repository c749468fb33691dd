#include "judge_runner/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include "core/fs.h"
#include "judge_runner/cgroup.h"

namespace oj::runner {
namespace {

constexpr size_t kStatusMax = 64 << 10;

// The system directories; lib* may be symlinks into /usr (merged /usr).
const char* const kSystemDirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
const char* const kEtcFiles[] = {"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives",
                                 "localtime"};

void AppendAll(std::vector<std::string>& v, std::initializer_list<std::string> xs) {
  v.insert(v.end(), xs);
}

Status SetNonBlocking(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
    return Status::Internal(std::string("fcntl: ") + std::strerror(errno));
  }
  return Status::Ok();
}

struct Pipe {
  UniqueFd read, write;
  static Result<Pipe> Make() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      return Status::Internal(std::string("pipe2: ") + std::strerror(errno));
    }
    Pipe p;
    p.read.reset(fds[0]);
    p.write.reset(fds[1]);
    return p;
  }
};

// After fork, before exec: only async-signal-safe calls. Never returns.
[[noreturn]] void ExecChild(const std::vector<const char*>& procs_files, const SandboxLimits& lim,
                            int in_fd, int out_fd, int status_fd, int started_fd, int seccomp_fd,
                            const char* bwrap, pid_t parent, char* const* argv) {
  auto fail = [](const char* what) {
    const char* e = std::strerror(errno);
    (void)!::write(2, "sandbox setup: ", 15);
    (void)!::write(2, what, std::strlen(what));
    (void)!::write(2, ": ", 2);
    (void)!::write(2, e, std::strlen(e));
    (void)!::write(2, "\n", 1);
    ::_exit(127);
  };
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) fail("dup2");
  // fds 3 and 4 (bwrap's status, our start marker): move them up first so that
  // neither dup2 clobbers the other.
  // fd 5: the seccomp filter bwrap reads (--seccomp 5), when there is one.
  int status_hi = ::fcntl(status_fd, F_DUPFD, 10), started_hi = ::fcntl(started_fd, F_DUPFD, 10);
  int seccomp_hi = seccomp_fd >= 0 ? ::fcntl(seccomp_fd, F_DUPFD, 10) : -1;
  if (status_hi < 0 || started_hi < 0 || ::dup2(status_hi, 3) < 0 || ::dup2(started_hi, 4) < 0) {
    fail("dup2");
  }
  if (seccomp_fd >= 0 && (seccomp_hi < 0 || ::dup2(seccomp_hi, 5) < 0)) fail("dup2");
  ::close_range(seccomp_fd >= 0 ? 6 : 5, ~0u, 0);
  for (const char* f : procs_files) {
    int fd = ::open(f, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) fail("join cgroup");
    ::close(fd);
  }
  uint64_t cpu_s = (static_cast<uint64_t>(lim.cpu_time.count()) + 999) / 1000 + 1;
  const struct {
    int resource;
    rlim_t soft, hard;
  } rl[] = {
      {RLIMIT_CPU, cpu_s, cpu_s + 1},
      {RLIMIT_FSIZE, lim.file_size_bytes, lim.file_size_bytes},
      {RLIMIT_NOFILE, lim.open_files, lim.open_files},
      {RLIMIT_CORE, 0, 0},
  };
  for (const auto& r : rl) {
    struct rlimit v = {r.soft, r.hard};
    if (::setrlimit(r.resource, &v) != 0) fail("setrlimit");
  }
  if (::setgroups(0, nullptr) != 0 || ::setresgid(kSandboxGid, kSandboxGid, kSandboxGid) != 0 ||
      ::setresuid(kSandboxUid, kSandboxUid, kSandboxUid) != 0) {
    fail("drop privileges");
  }
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("prctl");
  if (::getppid() != parent) ::_exit(127);  // the runner died already
  char env_path[] = "PATH=/usr/bin:/bin";
  char* envp[] = {env_path, nullptr};
  ::execve(bwrap, argv, envp);
  fail("exec bwrap");
  ::_exit(127);
}

// bwrap's --json-status-fd documents: {"child-pid": N} once it cloned the sandbox,
// {"exit-code": N} when the program ended.
int StatusExitCode(const std::string& status) {
  static const std::regex re("\"exit-code\"\\s*:\\s*(\\d+)");
  std::smatch m;
  if (std::regex_search(status, m, re)) return std::stoi(m[1]);
  return -1;
}

}  // namespace

std::vector<std::string> BwrapArgs(const SandboxSpec& spec) {
  std::vector<std::string> a;
  AppendAll(a, {"--unshare-all", "--uid", std::to_string(kSandboxUid), "--gid",
                std::to_string(kSandboxGid), "--hostname", "oj-sandbox", "--die-with-parent",
                "--new-session"});
  const std::string root = spec.root_fs.empty() ? "" : spec.root_fs;
  AppendAll(a, {"--ro-bind", root + "/usr", "/usr"});
  for (const char* d : kSystemDirs) {
    std::string host = root + "/" + d;
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlink(host.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      AppendAll(a, {"--symlink", std::string(target, n), std::string("/") + d});
    } else if (S_ISDIR(st.st_mode)) {
      AppendAll(a, {"--ro-bind", host, std::string("/") + d});
    }
  }
  for (const char* f : kEtcFiles) {
    AppendAll(a, {"--ro-bind-try", root + "/etc/" + f, std::string("/etc/") + f});
  }
  AppendAll(a, {"--proc", "/proc", "--dev", "/dev"});
  if (spec.scratch_dir.empty()) {
    AppendAll(a, {"--size", std::to_string(spec.limits.scratch_bytes), "--tmpfs", "/tmp"});
  } else {
    AppendAll(a, {"--bind", spec.scratch_dir, "/tmp"});
  }
  // /dev/shm is a directory of bwrap's /dev tmpfs, which has no size: give it one.
  AppendAll(a, {"--size", std::to_string(spec.limits.shm_bytes), "--tmpfs", "/dev/shm"});
  if (!spec.seccomp_file.empty()) AppendAll(a, {"--seccomp", "5"});
  for (const Bind& b : spec.binds) {
    AppendAll(a, {b.writable ? "--bind" : "--ro-bind", b.source, b.target});
  }
  AppendAll(a, {"--remount-ro", "/", "--chdir", spec.cwd, "--clearenv", "--setenv", "PATH",
                "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG",
                "C.UTF-8"});
  for (const std::string& kv : spec.env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    AppendAll(a, {"--setenv", kv.substr(0, eq), kv.substr(eq + 1)});
  }
  // The start marker: one byte on fd 4 once bwrap has set everything up, so a failed
  // setup is never mistaken for the program's own failure. fd 4 is closed before exec.
  AppendAll(a, {"--", "/bin/sh", "-c", "printf x >&4 && exec 4>&- && exec \"$@\"", "oj-start"});
  a.insert(a.end(), spec.argv.begin(), spec.argv.end());
  return a;
}

Result<SandboxResult> RunSandboxed(const SandboxSpec& spec, const TickFn& tick,
                                   std::chrono::milliseconds tick_interval) {
  auto cg = JobCgroup::Create(spec.runner_name, spec.run_name, spec.limits);
  if (!cg.ok()) return cg.status();
  auto out = Pipe::Make();
  if (!out.ok()) return out.status();
  auto status = Pipe::Make();
  if (!status.ok()) return status.status();
  auto started = Pipe::Make();
  if (!started.ok()) return started.status();
  UniqueFd seccomp;
  if (!spec.seccomp_file.empty()) {
    seccomp.reset(::open(spec.seccomp_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!seccomp.valid()) {
      return Status::Internal("seccomp filter " + spec.seccomp_file + ": " + std::strerror(errno));
    }
  }
  UniqueFd devnull;
  int in_fd = spec.stdin_fd;
  if (in_fd < 0) {
    devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    in_fd = devnull.get();
  }

  std::vector<std::string> args = {"bwrap", "--json-status-fd", "3"};
  for (auto& s : BwrapArgs(spec)) args.push_back(std::move(s));
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<const char*> procs;
  for (const auto& f : cg->procs_files()) procs.push_back(f.c_str());

  const auto start = std::chrono::steady_clock::now();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Status::Internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ExecChild(procs, spec.limits, in_fd, out->write.get(), status->write.get(),
              started->write.get(), seccomp.get(), spec.bwrap.c_str(), parent, argv.data());
  }
  out->write.reset();
  status->write.reset();
  started->write.reset();
  Status s = SetNonBlocking(out->read.get());
  if (s.ok()) s = SetNonBlocking(status->read.get());
  if (s.ok()) s = SetNonBlocking(started->read.get());

  SandboxResult r;
  std::string status_text;
  bool killed = !s.ok();
  if (killed) cg->KillAll();
  int wstatus = 0;
  bool reaped = false;
  auto next_tick = start + tick_interval;
  char buf[65536];
  auto kill_all = [&] {
    killed = true;
    cg->KillAll();
    ::kill(pid, SIGKILL);
  };
  auto drain = [&](int fd, std::string& into, uint64_t cap, bool& over) -> bool {
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        uint64_t room = cap > into.size() ? cap - into.size() : 0;
        into.append(buf, std::min<uint64_t>(room, n));
        if (static_cast<uint64_t>(n) > room) over = true;
        continue;
      }
      if (n == 0) return false;  // EOF
      return errno == EAGAIN || errno == EINTR;
    }
  };
  bool out_open = true, status_open = true, status_over = false;
  bool started_open = true, started_over = false;
  std::string started_text;
  while (!reaped || out_open) {
    struct pollfd pf[3] = {{out_open ? out->read.get() : -1, POLLIN, 0},
                           {status_open ? status->read.get() : -1, POLLIN, 0},
                           {started_open ? started->read.get() : -1, POLLIN, 0}};
    ::poll(pf, 3, reaped ? 100 : 20);
    if (started_open) started_open = drain(started->read.get(), started_text, 16, started_over);
    if (out_open) {
      bool over = false;
      out_open = drain(out->read.get(), r.output, spec.limits.output_bytes, over);
      if (over && !r.output_limit_hit) {
        r.output_limit_hit = true;
        kill_all();
      }
    }
    if (status_open) status_open = drain(status->read.get(), status_text, kStatusMax, status_over);
    if (!reaped) {
      pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
      if (w == pid) {
        reaped = true;
        cg->KillAll();  // whatever the program left behind
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (reaped) {
      if (now - start > spec.limits.wall_time + std::chrono::seconds(5)) break;  // stuck pipe
      continue;
    }
    if (killed) continue;
    if (now - start > spec.limits.wall_time) {
      r.wall_limit_hit = true;
      kill_all();
    } else if (cg->Usage().cpu_ns >
               static_cast<uint64_t>(spec.limits.cpu_time.count()) * 1'000'000) {
      r.cpu_limit_hit = true;
      kill_all();
    } else if (now >= next_tick) {
      next_tick = now + tick_interval;
      if (tick && !tick()) {
        r.aborted = true;
        kill_all();
      }
    }
  }
  r.wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  CgroupUsage u = cg->Usage();
  r.cpu = std::chrono::milliseconds(u.cpu_ns / 1'000'000);
  r.peak_memory_bytes = u.peak_memory_bytes;
  r.oom_kills = u.oom_kills;
  r.pids_limit_hit = u.pids_limit_hit;
  if (u.cpu_ns > static_cast<uint64_t>(spec.limits.cpu_time.count()) * 1'000'000) {
    r.cpu_limit_hit = true;  // RLIMIT_CPU may have fired first
  }
  Status destroyed = cg->Destroy();
  if (!destroyed.ok()) return destroyed;

  if (started_open) drain(started->read.get(), started_text, 16, started_over);
  if (started_text.empty() && !r.aborted) {
    return Status::Internal("the sandbox did not start: " + r.output.substr(0, 2000));
  }
  int code = StatusExitCode(status_text);
  if (code < 0) {
    // bwrap itself was killed (by us, or by the OOM killer) before reporting.
    r.term_signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : SIGKILL;
  } else if (code >= 128) {
    r.term_signal = code - 128;
  } else {
    r.exit_code = code;
  }
  return r;
}

}  // namespace oj::runner
