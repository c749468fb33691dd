#include "judge_runner/archive_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/fs.h"
#include "core/sha256.h"

namespace oj::runner {
namespace {

TEST(ArchiveSourceTest, ParsesTheIntakeBaseUrl) {
  struct Case {
    const char* url;
    bool ok;
    const char* host;
    uint16_t port;
  };
  const Case cases[] = {
      {"http://198.18.0.1:8080", true, "198.18.0.1", 8080},
      {"http://intake/", true, "intake", 80},
      {"https://intake", false, "", 0},
      {"http://intake/archive", false, "", 0},
      {"http://intake:0", false, "", 0},
      {"http://intake:99999", false, "", 0},
      {"http://:80", false, "", 0},
      {"http://", false, "", 0},
  };
  for (const Case& c : cases) {
    std::string host;
    uint16_t port = 0;
    Status s = ParseHttpBase(c.url, &host, &port);
    EXPECT_EQ(s.ok(), c.ok) << c.url;
    if (c.ok) {
      EXPECT_EQ(host, c.host) << c.url;
      EXPECT_EQ(port, c.port) << c.url;
    }
  }
}

TEST(ArchiveSourceTest, LocalUploadIsCheckedAgainstTheRow) {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("oj-archive-source-test-" + std::to_string(::getpid()));
  ASSERT_TRUE(MakeDirs(dir + "/ab").ok());
  const std::string bytes = "not really a tarball";
  ASSERT_TRUE(WriteFileAtomic(dir + "/ab/abc", bytes, 0600).ok());
  ArchiveSourceConfig cfg;
  cfg.storage_dir = dir;
  StoredArchive good{"ab/abc", bytes.size(), Sha256Hex(bytes)};
  auto a = PrepareArchive(cfg, good, 0);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->dir(), dir);
  StoredArchive bad_size = good;
  bad_size.size_bytes += 1;
  EXPECT_NE(PrepareArchive(cfg, bad_size, 0).status().message().find("size"), std::string::npos);
  StoredArchive bad_sha = good;
  bad_sha.sha256 = Sha256Hex("other");
  EXPECT_NE(PrepareArchive(cfg, bad_sha, 0).status().message().find("SHA-256"), std::string::npos);
  StoredArchive escape = good;
  escape.storage_key = "../etc/passwd";
  EXPECT_FALSE(PrepareArchive(cfg, escape, 0).ok());
  StoredArchive missing = good;
  missing.storage_key = "ab/nope";
  EXPECT_FALSE(PrepareArchive(cfg, missing, 0).ok());
  std::filesystem::remove_all(dir);
}

TEST(ArchiveSourceTest, FetchFailureIsUnavailable) {
  ArchiveSourceConfig cfg;
  cfg.archive_url = "http://127.0.0.1:1";  // nothing listens on port 1
  cfg.secret = std::string(64, 'a');
  cfg.timeout = std::chrono::seconds(2);
  cfg.cache_dir = "/tmp/oj-archive-source-unused";
  auto a = PrepareArchive(cfg, StoredArchive{"ab/abc", 1, Sha256Hex("x")}, 0);
  EXPECT_EQ(a.status().code(), Status::Code::kUnavailable) << a.status().ToString();
}

}  // namespace
}  // namespace oj::runner
