// oj-fcgi: the FastCGI pool (see pool.h). Usage: oj-fcgi --config PATH
#include <cstring>
#include <iostream>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "fcgi_app/pool.h"

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::cerr << "usage: oj-fcgi --config PATH\n";
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << "oj-fcgi: --config PATH is required (example: ops/oj.example.toml)\n";
    return 2;
  }
  auto cfg = oj::LoadConfig(config_path);
  if (!cfg.ok()) {
    std::cerr << "oj-fcgi: " << cfg.status().message() << "\n";
    return 2;
  }
  oj::InitLogging("oj-fcgi", cfg->log.level);
  oj::SetDisplayTimeZone(cfg->server.display_timezone);
  return oj::RunPoolMaster(*cfg, config_path);
}
