// `ojctl check`: is this host ready to run the server? In the spirit of isolate's
// environment check, each check says what it found and, when it fails, what to do.
// Each check is a function of (configuration, host paths) so tests can point it at
// fake files; none of them changes anything except a temporary file in storage.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/db.h"

namespace oj::ctl {

struct CheckResult {
  enum class Level { kOk, kWarn, kFail };
  std::string name;
  Level level = Level::kOk;
  std::string detail;  // what was found
  std::string hint;    // what to do (empty when ok)
};

const char* LevelName(CheckResult::Level l);

// Where the host's facts live; tests substitute their own.
struct HostPaths {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string max_user_namespaces = "/proc/sys/user/max_user_namespaces";
  std::string userns_clone = "/proc/sys/kernel/unprivileged_userns_clone";
  std::string bwrap;  // empty: search PATH
};

CheckResult CheckDatabase(Database& db, const std::string& sql_dir);
// Renders nginx.conf from cfg and compares it with the running one at
// rendered_path (by default <var_dir>/nginx/nginx.conf); also checks that no
// module's size limit exceeds the body limit nginx enforces.
CheckResult CheckNginx(const Config& cfg, const std::string& rendered_path);
CheckResult CheckModuleLimits(const Config& cfg, Database& db);
CheckResult CheckStorage(const Config& cfg);
CheckResult CheckDirectory(const std::string& name, const std::string& dir, bool writable,
                           const std::string& key);
CheckResult CheckBwrap(const HostPaths& host);
CheckResult CheckUserNamespaces(const HostPaths& host);
CheckResult CheckCgroups(const HostPaths& host);
CheckResult CheckPressure(const Config& cfg);

}  // namespace oj::ctl
