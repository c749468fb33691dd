#include "fcgi_app/pool.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "core/db.h"
#include "core/fs.h"
#include "core/intake_store.h"
#include "core/log.h"
#include "core/pool_state.h"
#include "fcgi_app/scoreboard.h"
#include "fcgi_app/upload.h"
#include "fcgi_app/worker.h"

namespace oj {
namespace {

constexpr int kCrashLoopLimit = 10;
constexpr int64_t kCrashLoopWindowMs = 10000;
constexpr int64_t kStuckGraceMs = 5000;

// The socket is born 0660 (no moment when others could connect) and given socket_group,
// the group of nginx's workers: nobody else on the host talks FastCGI to the pool.
Result<int> OpenListenSocket(const std::string& path, const std::string& socket_group) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return Status::InvalidArgument("fcgi.socket path is too long: " + path);
  }
  std::optional<gid_t> gid;
  if (!socket_group.empty()) {
    const group* g = ::getgrnam(socket_group.c_str());
    if (!g) {
      return Status::InvalidArgument("fcgi.socket_group '" + socket_group +
                                     "' is not a group on this host: create it (groupadd "
                                     "--system " +
                                     socket_group + ") or set fcgi.socket_group = \"\"");
    }
    gid = g->gr_gid;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);  // inherited by workers: no CLOEXEC needed
  if (fd < 0) return Status::Internal(std::string("socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ::unlink(path.c_str());
  mode_t old_mask = ::umask(0117);  // the master has no threads yet
  int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (bound != 0 || ::listen(fd, 1024) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    return Status::Unavailable("cannot listen on " + path + ": " + err);
  }
  if (gid && ::chown(path.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    return Status::Unavailable("cannot give " + path + " to group " + socket_group + ": " + err +
                               " (the pool's user must be root or a member of it)");
  }
  return fd;
}

class PoolMaster {
 public:
  PoolMaster(Config cfg, std::string config_path)
      : cfg_(std::move(cfg)), config_path_(std::move(config_path)), db_(cfg_.database) {}

  int Run() {
    // One master per socket: a second one (a supervisor's restart racing a slow drain, a
    // second `oj up`) waits for the first to go instead of taking its socket from under it.
    Status locked = LockSocket();
    if (!locked.ok()) {
      spdlog::error("{}", locked.message());
      return 1;
    }
    auto fd = OpenListenSocket(cfg_.fcgi.socket, cfg_.fcgi.socket_group);
    if (!fd.ok()) {
      spdlog::error("{}", fd.status().message());
      return 1;
    }
    listen_fd_ = *fd;
    struct stat bound {};
    if (::stat(cfg_.fcgi.socket.c_str(), &bound) == 0) socket_inode_ = bound.st_ino;
    Status s = MakeDirs(cfg_.paths.storage_dir + "/tmp");
    if (!s.ok()) {
      spdlog::error("{}", s.message());
      return 1;
    }
    sb_ = CreateScoreboard();
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    state_.master_pid = ::getpid();
    state_.started_at =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    SaveState();
    slots_ = std::min<int>(static_cast<int>(cfg_.fcgi.workers), kMaxWorkers);
    deaths_.resize(kMaxWorkers);
    for (int i = 0; i < slots_; ++i) Spawn(i);
    spdlog::info("pool master listening on {} with {} workers", cfg_.fcgi.socket, slots_);

    int64_t drain_deadline = 0;
    for (;;) {
      timespec tick{1, 0};
      siginfo_t info;
      int sig = sigtimedwait(&set, &info, &tick);
      if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) LogSender(sig, info);
      if (sig == SIGTERM || sig == SIGINT) {
        if (!draining_) {
          spdlog::info("draining: {} workers finish their requests", Alive());
          draining_ = true;
          drain_deadline = SteadyMillis() + cfg_.fcgi.drain_timeout_s * 1000;
          SignalAll(SIGTERM);
        }
      } else if (sig == SIGHUP) {
        Reload();
      }
      Reap();
      if (draining_) {
        if (Alive() == 0) break;
        if (SteadyMillis() > drain_deadline) {
          spdlog::warn("drain timeout: killing {} workers", Alive());
          SignalAll(SIGKILL);
        }
        continue;
      }
      RespawnDue();
      KillStuck();
    }
    // Only our own socket: a master started meanwhile (a supervisor restart racing a slow
    // drain) has bound a new one at the same path, and removing it would leave nginx
    // with "No such file or directory" until that master restarts.
    struct stat now {};
    if (::stat(cfg_.fcgi.socket.c_str(), &now) == 0 && now.st_ino == socket_inode_) {
      ::unlink(cfg_.fcgi.socket.c_str());
    }
    spdlog::info("pool master stopped");
    return 0;
  }

 private:
  // Who stopped or reloaded the pool is the first question after an unexpected restart
  // (a restart in the middle of a test once went unexplained): say it in the log.
  static void LogSender(int sig, const siginfo_t& info) {
    std::string comm = "?";
    if (info.si_code == SI_USER || info.si_code == SI_QUEUE) {
      std::string path = "/proc/" + std::to_string(info.si_pid) + "/cmdline";
      auto text = ReadSmallFile(path, 512);
      if (text.ok()) {
        comm = *text;
        std::replace(comm.begin(), comm.end(), '\0', ' ');
        while (!comm.empty() && comm.back() == ' ') comm.pop_back();
      }
    }
    spdlog::info("received {} from pid {} ({})", strsignal(sig), info.si_pid, comm);
  }

  Status LockSocket() {
    std::string path = cfg_.fcgi.socket + ".lock";
    lock_fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (lock_fd_.get() < 0) {
      return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
    }
    int64_t deadline = SteadyMillis() + (cfg_.fcgi.drain_timeout_s + 10) * 1000;
    bool said = false;
    while (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) {
        return Status::Unavailable("cannot lock " + path + ": " + std::strerror(errno));
      }
      if (SteadyMillis() > deadline) {
        return Status::Unavailable("another pool master still holds " + path +
                                   "; stop it (see run/fcgi.pid) before starting this one");
      }
      if (!said) spdlog::warn("another pool master holds {}; waiting for it to exit", path);
      said = true;
      ::usleep(100 * 1000);
    }
    return Status::Ok();
  }

  void Spawn(int i) {
    pid_t pid = fork();
    if (pid < 0) {
      spdlog::error("fork failed: {}", std::strerror(errno));
      respawn_at_[i] = SteadyMillis() + 1000;
      return;
    }
    if (pid == 0) {
      // A worker must not outlive its master (kill -9 of the master): it would keep
      // accepting on a socket nobody can reach. SIGTERM lets it finish its request.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != master_pid_) _exit(0);
      lock_fd_.reset();  // orphaned by a kill -9 of the master, it must not delay the next one
      _exit(RunWorker(cfg_, listen_fd_, sb_, i));
    }
    sb_->slots[i].pid.store(pid);
    sb_->slots[i].busy_since_ms.store(0);
    sb_->slots[i].storing.store(false);
    respawn_at_.erase(i);
  }

  int Alive() const {
    int n = 0;
    for (int i = 0; i < kMaxWorkers; ++i) n += sb_->slots[i].pid.load() != 0;
    return n;
  }

  void SignalAll(int sig) {
    for (int i = 0; i < kMaxWorkers; ++i) {
      pid_t p = sb_->slots[i].pid.load();
      if (p > 0) ::kill(p, sig);
    }
  }

  void Reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (int i = 0; i < kMaxWorkers; ++i) {
        if (sb_->slots[i].pid.load() != pid) continue;
        sb_->slots[i].pid.store(0);
        CleanAfter(i, pid, status);
        if (!draining_ && i < slots_) ScheduleRespawn(i, status);
      }
    }
  }

  // A worker that died mid-upload leaves a part file and perhaps a stored file
  // whose row was never committed. Neither was acknowledged: remove both.
  void CleanAfter(int i, pid_t pid, int status) {
    RemoveWorkerTempFiles(cfg_.paths.storage_dir, pid);
    WorkerSlot& slot = sb_->slots[i];
    bool abnormal = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (abnormal) {
      std::string how = WIFSIGNALED(status) ? std::string("signal ") + strsignal(WTERMSIG(status))
                                            : "exit " + std::to_string(WEXITSTATUS(status));
      spdlog::warn("worker {} (slot {}) died: {}", pid, i, how);
      // The watchdog's fcgi_worker_crashes alert reads this (the respawn hides the crash).
      ++state_.worker_crashes;
      sb_->worker_crashes.fetch_add(1);
      state_.last_crash =
          "worker " + std::to_string(pid) + " (slot " + std::to_string(i) + ") died: " + how;
      SaveState();
    }
    if (slot.storing.load()) {
      std::string id(slot.pending_id);
      slot.storing.store(false);
      auto exists = SubmissionExists(db_, id);
      if (exists.ok() && !*exists) {
        std::string path = cfg_.paths.storage_dir + "/" + StorageKeyFor(id);
        ::unlink(path.c_str());
        spdlog::warn("removed {}: its worker died before the row was committed", path);
      } else if (!exists.ok()) {
        spdlog::error("cannot check half-stored submission {}: {}; run `ojctl storage check`", id,
                      exists.status().message());
      }
    }
  }

  void ScheduleRespawn(int i, int status) {
    int64_t now = SteadyMillis();
    auto& d = deaths_[i];
    bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;  // recycled
    if (!clean_exit) d.push_back(now);
    while (!d.empty() && now - d.front() > kCrashLoopWindowMs) d.pop_front();
    sb_->worker_restarts.fetch_add(1);
    if (static_cast<int>(d.size()) >= kCrashLoopLimit) {
      spdlog::error("slot {} crashed {} times in {} s; pausing its respawn for 5 s", i, d.size(),
                    kCrashLoopWindowMs / 1000);
      respawn_at_[i] = now + 5000;
      d.clear();
    } else {
      Spawn(i);
    }
  }

  void RespawnDue() {
    int64_t now = SteadyMillis();
    std::vector<int> due;
    for (auto& [i, at] : respawn_at_) {
      if (at <= now) due.push_back(i);
    }
    for (int i : due) Spawn(i);
  }

  void KillStuck() {
    int64_t now = SteadyMillis();
    int64_t limit = static_cast<int64_t>(cfg_.fcgi.request_timeout_s) * 1000 + kStuckGraceMs;
    for (int i = 0; i < slots_; ++i) {
      WorkerSlot& s = sb_->slots[i];
      int64_t since = s.busy_since_ms.load();
      pid_t pid = s.pid.load();
      if (pid > 0 && since > 0 && now - since > limit) {
        spdlog::warn("worker {} busy on one request for {} ms: killing it", pid, now - since);
        sb_->workers_killed_stuck.fetch_add(1);
        ::kill(pid, SIGKILL);
        s.busy_since_ms.store(0);
      }
    }
  }

  void Reload() {
    if (config_path_.empty()) return;
    auto next = LoadConfig(config_path_);
    if (!next.ok()) {
      spdlog::error("reload refused, keeping the running configuration: {}",
                    next.status().message());
      return;
    }
    if (next->fcgi.socket != cfg_.fcgi.socket) {
      spdlog::warn("fcgi.socket changed; it takes effect only on restart");
      next->fcgi.socket = cfg_.fcgi.socket;
    }
    int old_slots = slots_;
    cfg_ = *next;
    slots_ = std::min<int>(static_cast<int>(cfg_.fcgi.workers), kMaxWorkers);
    spdlog::info("configuration reloaded; replacing {} workers", Alive());
    SignalAll(SIGTERM);  // each exits after its request and is respawned by Reap()
    for (int i = old_slots; i < slots_; ++i) Spawn(i);
  }

  Config cfg_;
  std::string config_path_;
  Database db_;
  int listen_fd_ = -1;
  UniqueFd lock_fd_;        // flock on <socket>.lock for this master's life; workers close it
  ino_t socket_inode_ = 0;  // the socket file this master bound
  pid_t master_pid_ = getpid();
  // <run_dir>/fcgi.state for the watchdog; a write failure is logged once.
  void SaveState() {
    Status s = WritePoolState(cfg_.paths.run_dir, state_);
    if (!s.ok() && !state_write_failed_) spdlog::warn("{}", s.message());
    state_write_failed_ = !s.ok();
  }

  Scoreboard* sb_ = nullptr;
  PoolState state_;
  bool state_write_failed_ = false;
  int slots_ = 0;
  bool draining_ = false;
  std::vector<std::deque<int64_t>> deaths_;
  std::map<int, int64_t> respawn_at_;
};

}  // namespace

int RunPoolMaster(Config cfg, const std::string& config_path) {
  PoolMaster m(std::move(cfg), config_path);
  return m.Run();
}

}  // namespace oj
