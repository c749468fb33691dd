// The job's spaces on a real tmpfs. Needs root (mount); skips with the reason otherwise.
#include "judge_runner/job_box.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace oj::runner {
namespace {

// Creates empty files in dir until one fails; returns how many it made and the errno.
std::pair<int, int> FillWithFiles(const std::string& dir, int max) {
  for (int n = 0; n < max; ++n) {
    std::string p = dir + "/f" + std::to_string(n);
    int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return {n, errno};
    ::close(fd);
  }
  return {max, 0};
}

class JobBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting the job's tmpfs needs root";
    char d[] = "/tmp/oj-box-test-XXXXXX";
    ASSERT_NE(::mkdtemp(d), nullptr);
    dir_ = d;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      (void)JobBox::RemoveLeftovers(dir_);
      ::rmdir(dir_.c_str());
    }
  }
  std::string dir_;
};

TEST_F(JobBoxTest, FillingTheSubmissionLeavesTheJudgesOutputRoom) {
  BoxLimits lim;
  lim.submission = {1 << 20, 32};
  auto box = JobBox::Create(dir_, lim);
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  auto [made, err] = FillWithFiles(box->submission_dir(), 1000);
  EXPECT_LT(made, 40);
  EXPECT_EQ(err, ENOSPC);
  auto [out_made, out_err] = FillWithFiles(box->out_dir(), 1);
  EXPECT_EQ(out_made, 1) << "result.json must always have room: " << out_err;
}

TEST_F(JobBoxTest, ScratchHasAFileLimitAndIsFreshForEachStage) {
  auto box = JobBox::Create(dir_, BoxLimits{});
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  ASSERT_TRUE(box->ResetScratch({1 << 20, 16}).ok());
  auto [made, err] = FillWithFiles(box->scratch_dir(), 1000);
  EXPECT_LT(made, 17);
  EXPECT_EQ(err, ENOSPC);
  ASSERT_TRUE(box->ResetScratch({1 << 20, 16}).ok());
  EXPECT_NE(::access((box->scratch_dir() + "/f0").c_str(), F_OK), 0) << "the build's /tmp leaked";
}

TEST_F(JobBoxTest, ProgramSpacesHaveFileLimits) {
  auto box = JobBox::Create(dir_, BoxLimits{});
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  SandboxLimits lim;
  lim.program_files = 20;
  ASSERT_TRUE(box->MountProgramSpaces(lim).ok());
  for (const std::string& d : {box->program_tmp_dir(), box->program_shm_dir()}) {
    auto [made, err] = FillWithFiles(d, 1000);
    EXPECT_LT(made, 21) << d;
    EXPECT_EQ(err, ENOSPC) << d;
  }
}

TEST_F(JobBoxTest, KeepRegularFilesOnlyRemovesLinksAndSpecialFiles) {
  auto box = JobBox::Create(dir_, BoxLimits{});
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  std::string s = box->submission_dir();
  ASSERT_EQ(::mkdir((s + "/d").c_str(), 0), 0);  // mode 000: must become enterable
  ASSERT_EQ(::symlink("/judge/secret.txt", (s + "/d/answer.txt").c_str()), 0);
  ASSERT_EQ(::symlink("..", (s + "/up").c_str()), 0);
  ASSERT_EQ(::mkfifo((s + "/fifo").c_str(), 0644), 0);
  int fd = ::open((s + "/kept.txt").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 04000);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto removed = KeepRegularFilesOnly(s);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 3u);
  struct stat st;
  EXPECT_NE(::lstat((s + "/d/answer.txt").c_str(), &st), 0);
  EXPECT_NE(::lstat((s + "/up").c_str(), &st), 0);
  EXPECT_NE(::lstat((s + "/fifo").c_str(), &st), 0);
  ASSERT_EQ(::lstat((s + "/kept.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);  // readable by its owner, setuid dropped
  ASSERT_EQ(::lstat((s + "/d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0700, 0700u);
}

}  // namespace
}  // namespace oj::runner
