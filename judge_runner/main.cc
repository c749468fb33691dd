// oj-runner: one judge runner slot (docs/contract.md §5).
//   oj-runner --config var/oj.toml --slot 1
// SIGTERM/SIGINT: return the current job to the queue and exit. SIGHUP: reload config.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/config.h"
#include "core/http_client.h"
#include "core/log.h"
#include "judge_runner/runner.h"
#include "judge_runner/sandbox.h"

namespace {

oj::runner::RunnerFlags g_flags;

void OnStop(int) { g_flags.stop = 1; }
void OnReload(int) { g_flags.reload = 1; }

void Install(int sig, void (*handler)(int)) {
  struct sigaction sa = {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a signal ends the idle poll() at once
  sigaction(sig, &sa, nullptr);
}

int Usage() {
  std::fprintf(stderr, "usage: oj-runner --config PATH [--slot N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  unsigned long slot = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--slot") == 0 && i + 1 < argc) {
      char* end = nullptr;
      slot = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || slot == 0 || slot > 1000) return Usage();
    } else {
      return Usage();
    }
  }
  if (config_path.empty()) return Usage();
  auto cfg = oj::LoadConfig(config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "oj-runner: %s\n", cfg.status().ToString().c_str());
    return 2;
  }
  oj::InitLogging("oj-runner", cfg->log.level);
  if (geteuid() != 0) {
    spdlog::critical(
        "oj-runner must start as root: it creates cgroups and mounts each job's "
        "tmpfs, then runs submissions as uid {}",
        oj::runner::kSandboxUid);
    return 1;
  }
  Install(SIGTERM, OnStop);
  Install(SIGINT, OnStop);
  Install(SIGHUP, OnReload);
  signal(SIGPIPE, SIG_IGN);
  oj::HttpGlobalInit();  // the archive fetch (judge hosts)
  oj::runner::Runner runner(std::move(cfg.value()), config_path, static_cast<uint32_t>(slot),
                            &g_flags);
  return runner.Run();
}
