#include "ops/ojctl/check.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/admin_store.h"
#include "core/fs.h"
#include "core/migrate.h"
#include "core/nginx_render.h"

extern char** environ;

namespace oj::ctl {
namespace {

using Level = CheckResult::Level;

CheckResult Ok(std::string name, std::string detail) {
  return {std::move(name), Level::kOk, std::move(detail), ""};
}
CheckResult Bad(Level l, std::string name, std::string detail, std::string hint) {
  return {std::move(name), l, std::move(detail), std::move(hint)};
}

std::string Trimmed(const std::string& s) {
  size_t e = s.find_last_not_of(" \t\r\n");
  return e == std::string::npos ? "" : s.substr(0, e + 1);
}

std::string FindInPath(const std::string& prog) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string p = dir + "/" + prog;
    if (!dir.empty() && access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// Runs argv with stdio on /dev/null; returns its exit status (-1 if it did not run).
int RunQuietly(const std::vector<std::string>& argv) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd <= 2; ++fd) {
    posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// First line where a and b differ, for the message.
std::string FirstDifference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int n = 1;; ++n) {
    bool ea = !std::getline(sa, la), eb = !std::getline(sb, lb);
    if (ea && eb) return "";
    if (ea != eb || la != lb) {
      return "line " + std::to_string(n) + ": running '" + Trimmed(eb ? "" : lb).substr(0, 80) +
             "' vs config '" + Trimmed(ea ? "" : la).substr(0, 80) + "'";
    }
  }
}

// The lines of an nginx config that carry a limit or a route to the app: the ones
// that must agree with the TOML configuration.
std::string LimitLines(const std::string& conf) {
  static const char* kDirectives[] = {"client_max_body_size",
                                      "client_body_timeout",
                                      "limit_req",
                                      "limit_conn",
                                      "fastcgi_pass",
                                      "fastcgi_read_timeout",
                                      "fastcgi_send_timeout",
                                      "listen",
                                      "worker_processes",
                                      "worker_connections",
                                      "Retry-After",
                                      "allow",
                                      "fastcgi_cache_valid"};
  std::istringstream in(conf);
  std::string line, out;
  while (std::getline(in, line)) {
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    for (const char* d : kDirectives) {
      if (line.find(d) != std::string::npos) {
        out += Trimmed(line.substr(b)) + "\n";
        break;
      }
    }
  }
  return out;
}

}  // namespace

const char* LevelName(Level l) {
  switch (l) {
    case Level::kOk:
      return "ok";
    case Level::kWarn:
      return "WARN";
    case Level::kFail:
      return "FAIL";
  }
  return "?";
}

CheckResult CheckDatabase(Database& db, const std::string& sql_dir) {
  const char* name = "database";
  if (Status s = db.Ping(); !s.ok()) {
    return Bad(Level::kFail, name, s.message(),
               "start MariaDB (systemctl start mariadb) and check [database] host/port/socket, "
               "user and password in the config");
  }
  auto files = ListMigrations(sql_dir);
  if (!files.ok())
    return Ok(name, "reachable (schema not checked: " + files.status().message() + ")");
  std::set<int> applied;
  Status s = db.Run("read schema_version", [&] {
    std::unique_ptr<sql::ResultSet> rs(
        db.Prepare("SELECT version FROM schema_version").executeQuery());
    while (rs->next()) applied.insert(rs->getInt(1));
    return Status::Ok();
  });
  if (!s.ok()) {
    return Bad(Level::kFail, name, "reachable, but no schema: " + s.message(),
               "run `ojctl db migrate --sql-dir " + sql_dir + "`");
  }
  std::string pending;
  for (const auto& f : *files) {
    if (!applied.count(f.version)) pending += (pending.empty() ? "" : ", ") + f.name;
  }
  if (!pending.empty()) {
    return Bad(Level::kFail, name, "reachable; migrations not applied: " + pending,
               "run `ojctl db migrate --sql-dir " + sql_dir + "`");
  }
  return Ok(name, "reachable, schema at version " +
                      std::to_string(applied.empty() ? 0 : *applied.rbegin()));
}

CheckResult CheckNginx(const Config& cfg, const std::string& rendered_path) {
  const char* name = "nginx limits";
  auto want_root = RenderNginxConfig(cfg, true);
  auto want_user = RenderNginxConfig(cfg, false);
  if (!want_root.ok() || !want_user.ok()) {
    return Bad(Level::kFail, name, "cannot render: " + want_user.status().message(),
               "fix the configuration or nginx/nginx.conf.tmpl");
  }
  auto running = ReadSmallFile(rendered_path, 4 << 20);
  if (!running.ok()) {
    return Bad(Level::kWarn, name, "no rendered config at " + rendered_path,
               "render it: `ojctl nginx render --out " + rendered_path +
                   "`, then `nginx -t` and reload nginx");
  }
  if (*running == *want_root || *running == *want_user) {
    return Ok(name, rendered_path + " matches the config (body limit " +
                        std::to_string(cfg.upload.max_body_bytes) + " bytes)");
  }
  bool as_root = running->find("\nuser ") != std::string::npos;
  const std::string& want = as_root ? *want_root : *want_user;
  std::string limits = FirstDifference(LimitLines(*running), LimitLines(want));
  if (!limits.empty()) {
    return Bad(Level::kFail, name,
               rendered_path + " enforces other limits than the config: " + limits,
               "re-render after changing the config: `ojctl nginx render --out " + rendered_path +
                   "` then `nginx -t && nginx -s reload` (nginx and the app must agree)");
  }
  return Bad(Level::kWarn, name,
             rendered_path + " has the config's limits but differs elsewhere: " +
                 FirstDifference(*running, want),
             "render again (`ojctl nginx render --out " + rendered_path +
                 "`) and reload nginx to pick up the new template");
}

CheckResult CheckModuleLimits(const Config& cfg, Database& db) {
  const char* name = "module size limits";
  auto courses = ListCourses(db);
  if (!courses.ok())
    return Bad(Level::kFail, name, courses.status().message(), "see the database check");
  std::string over;
  for (const auto& c : *courses) {
    auto mods = ListModules(db, c.code);
    if (!mods.ok())
      return Bad(Level::kFail, name, mods.status().message(), "see the database check");
    for (const auto& m : *mods) {
      if (m.size_limit_bytes > cfg.upload.max_body_bytes) {
        over += (over.empty() ? "" : ", ") + c.code + "/" + m.code;
      }
    }
  }
  if (!over.empty()) {
    return Bad(Level::kWarn, name,
               "above upload.max_body_bytes (" + std::to_string(cfg.upload.max_body_bytes) +
                   "), so nginx refuses before the module's limit applies: " + over,
               "lower them with `ojctl module set C M --size-limit N` or raise "
               "upload.max_body_bytes and re-render nginx");
  }
  return Ok(name, "every module's limit is within upload.max_body_bytes");
}

CheckResult CheckStorage(const Config& cfg) {
  const std::string name = "storage";
  const std::string& dir = cfg.paths.storage_dir;
  std::string probe = dir + "/.ojctl-check-" + std::to_string(getpid());
  int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Bad(Level::kFail, name, "cannot create a file in " + dir + ": " + std::strerror(errno),
               "create it and give it to the service user: `install -d -o oj -g oj -m 0750 " + dir +
                   "` (paths.storage_dir)");
  }
  UniqueFd owned(fd);
  Status w = WriteAll(fd, "check\n", 6);
  bool synced = w.ok() && fsync(fd) == 0;
  unlink(probe.c_str());
  if (!synced) {
    return Bad(Level::kFail, name, "cannot write and fsync in " + dir,
               "check the file system (read-only? full?) holding paths.storage_dir");
  }
  auto free_bytes = FreeBytes(dir);
  if (free_bytes.ok() && *free_bytes < cfg.upload.min_free_bytes * 2) {
    return Bad(Level::kWarn, name,
               dir + " has " + std::to_string(*free_bytes >> 20) +
                   " MiB free; uploads get 503 "
                   "below upload.min_free_bytes (" +
                   std::to_string(cfg.upload.min_free_bytes >> 20) + " MiB)",
               "free space or move paths.storage_dir to a larger file system");
  }
  return Ok(name, dir + " writable, " +
                      (free_bytes.ok() ? std::to_string(*free_bytes >> 20) + " MiB free" : ""));
}

CheckResult CheckDirectory(const std::string& name, const std::string& dir, bool writable,
                           const std::string& key) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Bad(Level::kFail, name, dir + " does not exist",
               "create it (`install -d -o oj -g oj " + dir + "`) or fix " + key);
  }
  if (access(dir.c_str(), writable ? (W_OK | X_OK) : (R_OK | X_OK)) != 0) {
    return Bad(Level::kFail, name, dir + (writable ? " is not writable" : " is not readable"),
               "give it to the service user: `chown -R oj:oj " + dir + "`");
  }
  return Ok(name, dir + (writable ? " writable" : " readable"));
}

CheckResult CheckBwrap(const HostPaths& host) {
  const char* name = "sandbox: bwrap";
  std::string bwrap = host.bwrap.empty() ? FindInPath("bwrap") : host.bwrap;
  if (bwrap.empty() || access(bwrap.c_str(), X_OK) != 0) {
    return Bad(Level::kFail, name, "bwrap not found",
               "install bubblewrap: `apt-get install bubblewrap`");
  }
  int rc = RunQuietly({bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc",
                       "/proc", "--dev", "/dev", "true"});
  if (rc != 0) {
    return Bad(
        Level::kFail, name,
        bwrap + " is installed but cannot create namespaces (exit " + std::to_string(rc) + ")",
        "enable user namespaces (see the next check); in a container, run it with "
        "--privileged or a seccomp profile that allows unshare/clone(CLONE_NEWUSER)");
  }
  return Ok(name, bwrap + " runs a program in new user, pid, mount, net, ipc, uts namespaces");
}

CheckResult CheckUserNamespaces(const HostPaths& host) {
  const char* name = "sandbox: user namespaces";
  auto max = ReadSmallFile(host.max_user_namespaces);
  if (max.ok() && std::atol(max->c_str()) == 0) {
    return Bad(Level::kFail, name, "user.max_user_namespaces is 0",
               "`sysctl -w user.max_user_namespaces=15000` and persist it in "
               "/etc/sysctl.d/90-oj.conf");
  }
  auto clone = ReadSmallFile(host.userns_clone);
  if (clone.ok() && Trimmed(*clone) == "0") {
    return Bad(Level::kWarn, name,
               "kernel.unprivileged_userns_clone is 0 (fine when the runner is root)",
               "`sysctl -w kernel.unprivileged_userns_clone=1` if the runner runs unprivileged");
  }
  return Ok(name, "enabled" + (max.ok() ? " (max " + Trimmed(*max) + ")" : std::string()));
}

CheckResult CheckCgroups(const HostPaths& host) {
  const char* name = "sandbox: cgroups";
  auto v2 = ReadSmallFile(host.cgroup_root + "/cgroup.controllers");
  if (v2.ok()) {
    std::string missing;
    for (const char* c : {"memory", "pids", "cpu"}) {
      if ((" " + Trimmed(*v2) + " ").find(std::string(" ") + c + " ") == std::string::npos) {
        missing += std::string(missing.empty() ? "" : ", ") + c;
      }
    }
    if (!missing.empty()) {
      return Bad(Level::kFail, name, "cgroup v2 without controllers: " + missing,
                 "enable them (boot with systemd.unified_cgroup_hierarchy=1, and give the runner "
                 "a delegated subtree: Delegate=yes in oj-runner@.service)");
    }
    return Ok(name, "cgroup v2 with memory, pids, cpu");
  }
  std::string missing;
  for (const char* c : {"memory", "pids", "cpuacct"}) {
    std::error_code ec;
    bool found = std::filesystem::exists(host.cgroup_root + "/" + c + "/tasks", ec) ||
                 (std::string(c) == "cpuacct" &&
                  std::filesystem::exists(host.cgroup_root + "/cpu,cpuacct/tasks", ec));
    if (!found) missing += std::string(missing.empty() ? "" : ", ") + c;
  }
  if (!missing.empty()) {
    return Bad(Level::kFail, name, "no cgroup v2 and cgroup v1 lacks: " + missing,
               "mount the controllers (cgroupfs-mount) or boot with cgroup v2; without them "
               "jobs run without memory and pid limits");
  }
  if (access((host.cgroup_root + "/memory").c_str(), W_OK) != 0) {
    return Bad(Level::kWarn, name, "cgroup v1 memory, pids, cpuacct present but not writable",
               "run the runner as root or delegate a writable subtree to the service user");
  }
  return Ok(name, "cgroup v1 with memory, pids, cpuacct");
}

CheckResult CheckPressure(const Config& cfg) {
  const char* name = "pressure (PSI)";
  for (const std::string& p : {cfg.runner.psi_memory_path, cfg.runner.psi_io_path}) {
    auto text = ReadSmallFile(p);
    if (!text.ok() || text->find("avg10=") == std::string::npos) {
      return Bad(Level::kWarn, name, "cannot read " + p,
                 "boot a kernel with CONFIG_PSI (add psi=1 to the kernel command line); without "
                 "it the runner's pressure gate and the watchdog's PSI checks are blind");
    }
  }
  return Ok(name, cfg.runner.psi_memory_path + " and " + cfg.runner.psi_io_path + " readable");
}

}  // namespace oj::ctl
