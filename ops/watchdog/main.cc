// oj-watchdog: checks the stack every interval and alerts (docs/contract.md §6; see watchdog.h).
// Usage: oj-watchdog --config PATH [--once]. SIGTERM/SIGINT stop; SIGHUP reloads.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "core/config.h"
#include "core/http_client.h"
#include "core/log.h"
#include "ops/watchdog/watchdog.h"

namespace {
std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};
void OnStop(int) { g_stop = true; }
void OnHup(int) { g_reload = true; }
}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool once = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--once") == 0) {
      once = true;
    } else {
      std::cerr << "usage: oj-watchdog --config PATH [--once]\n";
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << "oj-watchdog: --config PATH is required (example: ops/oj.example.toml)\n";
    return 2;
  }
  auto cfg = oj::LoadConfig(config_path);
  oj::Status valid = cfg.ok() ? oj::watchdog::ValidateWatchdogConfig(*cfg) : cfg.status();
  if (!valid.ok()) {
    std::cerr << "oj-watchdog: " << valid.message() << "\n";
    return 2;
  }
  oj::InitLogging("oj-watchdog", cfg->log.level);

  // Stay resident under the memory pressure we report: small thread stacks, one malloc
  // arena, every page locked.
  mallopt(M_ARENA_MAX, 1);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_setattr_default_np(&attr);
  pthread_attr_destroy(&attr);
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    spdlog::warn("mlockall failed ({}); running without locked memory", std::strerror(errno));
  }
  oj::HttpGlobalInit();

  struct sigaction sa {};
  sa.sa_handler = OnStop;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = OnHup;
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  oj::watchdog::Watchdog wd(*cfg);
  oj::Status s = wd.Start();
  if (!s.ok()) {
    spdlog::error("cannot start alert delivery: {}", s.message());
    return 1;
  }
  spdlog::info("watching {} every {} s (for {} s, repeat {} s)", config_path,
               cfg->watchdog.interval_s, cfg->watchdog.for_s, cfg->watchdog.repeat_s);
  if (once) {
    wd.RunCycle();
  } else {
    wd.Run(config_path, &g_stop, &g_reload);
  }
  spdlog::info("stopping");
  return 0;
}
