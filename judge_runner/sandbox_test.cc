// Runs real programs in the native sandbox. Needs root, bwrap and cgroups; skips with
// the reason otherwise.
#include "judge_runner/sandbox.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "judge_runner/cgroup.h"
#include "judge_runner/seccomp.h"

namespace oj::runner {
namespace {

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the native sandbox needs root";
    if (::access("/usr/bin/bwrap", X_OK) != 0) GTEST_SKIP() << "bubblewrap is not installed";
    if (::access("/sys/fs/cgroup/memory", F_OK) != 0 &&
        ::access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0) {
      GTEST_SKIP() << "no cgroup memory controller";
    }
  }
  Result<SandboxResult> Run(std::vector<std::string> argv, SandboxLimits lim = {}) {
    SandboxSpec s;
    s.argv = std::move(argv);
    s.limits = lim;
    s.runner_name = "sandbox-test-" + std::to_string(::getpid());
    s.run_name = std::to_string(++n_);
    s.binds = binds_;
    return RunSandboxed(s, nullptr, std::chrono::milliseconds(100));
  }
  std::vector<Bind> binds_;
  int n_ = 0;
};

TEST_F(SandboxTest, ExitCodeAndOutput) {
  auto r = Run({"/bin/sh", "-c", "echo hello; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->term_signal, 0);
  EXPECT_NE(r->output.find("hello"), std::string::npos);
  EXPECT_NE(r->output.find("err"), std::string::npos);
}

TEST_F(SandboxTest, UnprivilegedAndIsolated) {
  auto r = Run({"/bin/sh", "-c",
                "id -u; hostname; touch /usr/x 2>/dev/null && echo usr-writable; "
                "ls /work /var /home /root 2>/dev/null && echo host-visible; "
                "cat /proc/net/dev | wc -l; echo ok"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->output.find("65534\noj-sandbox\n"), std::string::npos) << r->output;
  EXPECT_EQ(r->output.find("usr-writable"), std::string::npos) << r->output;
  EXPECT_EQ(r->output.find("host-visible"), std::string::npos) << r->output;
  EXPECT_NE(r->output.find("\n3\nok"), std::string::npos) << "only loopback: " << r->output;
}

TEST_F(SandboxTest, WallClockKillsTheCgroup) {
  SandboxLimits lim;
  lim.wall_time = std::chrono::milliseconds(300);
  auto r = Run({"/bin/sh", "-c", "sleep 30 & sleep 30"}, lim);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->wall_limit_hit);
  EXPECT_LT(r->wall.count(), 5000);
}

TEST_F(SandboxTest, CpuLimit) {
  SandboxLimits lim;
  lim.cpu_time = std::chrono::milliseconds(300);
  auto r = Run({"/bin/sh", "-c", "while :; do :; done"}, lim);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->cpu_limit_hit);
}

TEST_F(SandboxTest, MemoryLimitCountsOomKills) {
  SandboxLimits lim;
  lim.memory_bytes = 32ull << 20;
  auto r = Run({"/usr/bin/python3", "-c", "b = b'x' * (256 << 20)"}, lim);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(r->oom_kills, 1u) << r->output;
}

TEST_F(SandboxTest, OutputCapped) {
  SandboxLimits lim;
  lim.output_bytes = 1000;
  auto r = Run({"/bin/sh", "-c", "yes"}, lim);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->output_limit_hit);
  EXPECT_EQ(r->output.size(), 1000u);
}

TEST_F(SandboxTest, PidsLimit) {
  SandboxLimits lim;
  lim.pids = 8;
  lim.wall_time = std::chrono::milliseconds(3000);
  auto r = Run({"/bin/sh", "-c", "for i in $(seq 20); do sleep 5 & done; wait"}, lim);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->pids_limit_hit);
}

TEST_F(SandboxTest, ReadOnlyAndWritableBinds) {
  char ro[] = "/tmp/oj-sbx-ro-XXXXXX", rw[] = "/tmp/oj-sbx-rw-XXXXXX";
  ASSERT_NE(mkdtemp(ro), nullptr);
  ASSERT_NE(mkdtemp(rw), nullptr);
  ASSERT_EQ(chmod(ro, 0755), 0);
  ASSERT_EQ(chown(rw, kSandboxUid, kSandboxGid), 0);
  binds_ = {{ro, "/judge", false}, {rw, "/submission", true}};
  auto r =
      Run({"/bin/sh", "-c",
           "echo a > /submission/f && echo wrote; (echo b > /judge/f) 2>/dev/null || echo denied;"
           "head -c 2000000 /dev/zero > /tmp/big 2>/dev/null && echo tmp-ok"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->output.find("wrote\ndenied\ntmp-ok"), std::string::npos) << r->output;
  std::string f = std::string(rw) + "/f";
  struct stat st;
  ASSERT_EQ(stat(f.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kSandboxUid);
  unlink(f.c_str());
  rmdir(rw);
  rmdir(ro);
}

TEST_F(SandboxTest, LeftBehindChildDies) {
  auto r =
      Run({"/bin/sh", "-c", "sh -c 'sleep 300; true oj-sbx-leftover' & sleep 0.2; echo started"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(WEXITSTATUS(system("pgrep -f 'oj-sbx-[l]eftover' >/dev/null")), 1);
}

TEST_F(SandboxTest, FileSizeLimit) {
  SandboxLimits lim;
  lim.file_size_bytes = 1 << 20;
  auto r = Run({"/bin/sh", "-c", "head -c 2000000 /dev/zero > /tmp/big"}, lim);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->term_signal, SIGXFSZ) << r->output;  // sh reports its child's signal
}

TEST_F(SandboxTest, OpenFilesLimit) {
  SandboxLimits lim;
  lim.open_files = 16;
  auto r = Run({"/usr/bin/python3", "-c",
                "import os\nfds = []\ntry:\n  while True: fds.append(os.open('/dev/null', 0))\n"
                "except OSError as e: print('EMFILE' if e.errno == 24 else e, len(fds))"},
               lim);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->output.find("EMFILE"), std::string::npos) << r->output;
}

TEST_F(SandboxTest, ScratchAndShmHaveSizes) {
  SandboxLimits lim;
  lim.scratch_bytes = 1 << 20;
  lim.shm_bytes = 1 << 20;
  auto r = Run({"/bin/sh", "-c",
                "head -c 3000000 /dev/zero > /tmp/big 2>/dev/null || echo tmp-full;"
                "head -c 3000000 /dev/zero > /dev/shm/big 2>/dev/null || echo shm-full"},
               lim);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->output.find("tmp-full\nshm-full"), std::string::npos) << r->output;
}

TEST_F(SandboxTest, SeccompFilterRefusesPtraceAndNewNamespaces) {
  char dir[] = "/tmp/oj-sbx-sc-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string filter = std::string(dir) + "/f.bpf";
  ASSERT_TRUE(WriteSeccompFilter(filter).ok());
  SandboxSpec s;
  s.argv = {"/usr/bin/python3", "-c",
            "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "print('ptrace', libc.ptrace(16, 1, 0, 0), ctypes.get_errno())\n"   // PTRACE_ATTACH
            "print('unshare', libc.unshare(0x10000000), ctypes.get_errno())\n"  // CLONE_NEWUSER
            "print('child', os.fork() if False else 'ok')"};
  s.runner_name = "sandbox-test-" + std::to_string(::getpid());
  s.run_name = "seccomp";
  s.seccomp_file = filter;
  auto r = RunSandboxed(s, nullptr, std::chrono::milliseconds(100));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->output.find("ptrace -1 1\nunshare -1 1\nchild ok"), std::string::npos) << r->output;
  unlink(filter.c_str());
  rmdir(dir);
}

TEST_F(SandboxTest, BadSetupIsAnInternalError) {
  binds_ = {{"/nonexistent/oj", "/judge", false}};
  auto r = Run({"/bin/true"});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace oj::runner
