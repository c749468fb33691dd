#include "ops/watchdog/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "core/fs.h"

extern char** environ;

namespace oj::watchdog {
namespace {

// Owns the strings execve needs for the lifetime of a spawn call.
struct ExecArgs {
  std::vector<std::string> strings;
  std::vector<char*> argv;
  std::vector<std::string> env_strings;
  std::vector<char*> envp;

  ExecArgs(const std::vector<std::string>& args, const EnvVars& extra) : strings(args) {
    for (auto& s : strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (char** e = environ; *e; ++e) {
      std::string_view kv(*e);
      bool overridden = false;
      for (const auto& [k, v] : extra) overridden |= kv.starts_with(k + "=");
      if (!overridden) env_strings.emplace_back(kv);
    }
    for (const auto& [k, v] : extra) env_strings.push_back(k + "=" + v);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
};

Result<pid_t> Spawn(const std::vector<std::string>& args, const EnvVars& env, int stdin_fd) {
  if (args.empty()) return Status::InvalidArgument("empty command");
  ExecArgs ea(args, env);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, stdin_fd, 0);
  } else {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, ea.argv[0], &fa, &attr, ea.argv.data(), ea.envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::Unavailable("cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

}  // namespace

bool ReapIfDone(pid_t pid, int* wait_status) {
  int st = 0;
  pid_t r = waitpid(pid, &st, WNOHANG);
  if (r == pid || (r < 0 && errno == ECHILD)) {
    if (wait_status) *wait_status = st;
    return true;
  }
  return false;
}

Result<pid_t> SpawnBackground(const std::vector<std::string>& argv, const EnvVars& env) {
  return Spawn(argv, env, -1);
}

Status RunWithInput(const std::vector<std::string>& argv, const EnvVars& env,
                    const std::string& input, std::chrono::milliseconds timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return Status::Unavailable("pipe: " + std::string(strerror(errno)));
  UniqueFd rd(fds[0]), wr(fds[1]);
  auto pid = Spawn(argv, env, rd.get());
  if (!pid.ok()) return pid.status();
  rd.reset();
  // Messages are a few KB, below the pipe's capacity: this write does not wait for the child.
  fcntl(wr.get(), F_SETFL, O_NONBLOCK);
  (void)WriteAll(wr.get(), input.data(), std::min<size_t>(input.size(), 60 * 1024));
  wr.reset();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int st = 0;
  while (!ReapIfDone(*pid, &st)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(-*pid, SIGKILL);
      kill(*pid, SIGKILL);
      waitpid(*pid, &st, 0);
      return Status::Unavailable(argv[0] + " did not finish within " +
                                 std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return Status::Ok();
  return Status::Unavailable(argv[0] + " failed (" +
                             (WIFEXITED(st) ? "exit " + std::to_string(WEXITSTATUS(st))
                                            : "signal " + std::to_string(WTERMSIG(st))) +
                             ")");
}

}  // namespace oj::watchdog
