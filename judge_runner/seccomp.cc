#include "judge_runner/seccomp.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/fs.h"

namespace oj::runner {
namespace {

// Each refused because a judged C program has no use for it and it widens the kernel
// surface or reaches past the sandbox's own processes:
const char* const kRefusedCalls[] = {
    "ptrace",            // attach the nested sandbox's init and leave it stopped
    "process_vm_readv",  // read or write another process's memory
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "keyctl",  // the kernel keyring is shared across namespaces
    "add_key",
    "request_key",
    "mount",  // no file system changes (the namespace's mounts are bwrap's)
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "mount_setattr",
    "unshare",  // no new namespaces (user namespaces above all)
    "setns",
    "bpf",
    "perf_event_open",
    "io_uring_setup",  // a large, often vulnerable surface
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "fanotify_init",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "quotactl",
    "syslog",
    "personality",  // READ_IMPLIES_EXEC and friends
};

constexpr int kNamespaceFlags[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,   CLONE_NEWNET,
                                   CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP};

struct CtxDeleter {
  void operator()(scmp_filter_ctx c) const { seccomp_release(c); }
};

Status Fail(const char* what, int rc) {
  return Status::Internal(std::string("seccomp: ") + what + ": " + std::strerror(-rc));
}

}  // namespace

const std::vector<std::string>& SeccompRefusedCalls() {
  static const std::vector<std::string> names(std::begin(kRefusedCalls), std::end(kRefusedCalls));
  return names;
}

Status WriteSeccompFilter(const std::string& path) {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Status::Internal("seccomp_init failed");
  for (const char* name : kRefusedCalls) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0);
    if (rc < 0) return Fail(name, rc);
  }
  // clone: refused with any namespace flag (one rule per flag: the rules are or-ed).
  for (int flag : kNamespaceFlags) {
    int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, static_cast<scmp_datum_t>(flag),
                                      static_cast<scmp_datum_t>(flag)));
    if (rc < 0) return Fail("clone", rc);
  }
  // clone3 passes its flags in memory, out of the filter's sight: ENOSYS makes libc use
  // clone instead.
  int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc < 0) return Fail("clone3", rc);

  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::Internal("seccomp: create " + tmp + ": " + std::strerror(errno));
  rc = seccomp_export_bpf(ctx.get(), fd.get());
  if (rc < 0) return Fail("export", rc);
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Internal("seccomp: write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace oj::runner
