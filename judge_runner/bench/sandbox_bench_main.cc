// oj-sandbox-bench N [--bare]: runs /bin/true N times through RunSandboxed (cgroup,
// RLIMITs, bwrap), or with --bare by plain fork/execve/waitpid, and prints each run's
// wall time in ms, one per line. Used by sandbox_bench.py.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "judge_runner/sandbox.h"

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 200;
  if (argc > 2 && std::string(argv[2]) == "--bare") {
    for (int i = 0; i < n; ++i) {
      auto t = std::chrono::steady_clock::now();
      pid_t pid = ::fork();
      if (pid == 0) {
        char* args[] = {const_cast<char*>("/bin/true"), nullptr};
        ::execv(args[0], args);
        ::_exit(127);
      }
      int st = 0;
      ::waitpid(pid, &st, 0);
      std::printf(
          "%.3f\n",
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    }
    return 0;
  }
  for (int i = 0; i < n; ++i) {
    oj::runner::SandboxSpec s;
    s.argv = {"/bin/true"};
    s.runner_name = "bench-" + std::to_string(::getpid());
    s.run_name = std::to_string(i);
    auto t = std::chrono::steady_clock::now();
    auto r = oj::runner::RunSandboxed(s, nullptr, std::chrono::milliseconds(1000));
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    if (!r.ok() || r->exit_code != 0) {
      std::fprintf(stderr, "run %d failed: %s\n", i,
                   r.ok() ? r->output.c_str() : r.status().ToString().c_str());
      return 1;
    }
    std::printf("%.3f\n", ms);
  }
  return 0;
}
