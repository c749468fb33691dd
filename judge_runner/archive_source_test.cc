#include "judge_runner/archive_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "core/fs.h"
#include "core/http_test_server.h"
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
      {"http://[::1]:8080", true, "[::1]", 8080},
      {"http://[fd00::1]", true, "[fd00::1]", 80},
      {"http://[::1", false, "", 0},
      {"http://[::1]x", false, "", 0},
      {"http://intake:80x", false, "", 0},
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

class ArchiveFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = std::filesystem::temp_directory_path() /
             ("oj-archive-fetch-test-" + std::to_string(::getpid()));
  }
  void TearDown() override { std::filesystem::remove_all(cache_); }
  Result<LocalArchive> Fetch(const http_test::CannedServer& s, const StoredArchive& want) {
    ArchiveSourceConfig cfg;
    cfg.archive_url = s.Url("/");  // http://127.0.0.1:<port>/
    cfg.secret = std::string(64, 'a');
    cfg.timeout = std::chrono::seconds(3);
    cfg.cache_dir = cache_;
    return PrepareArchive(cfg, want, 1'000'000);
  }
  std::string cache_;
  const std::string bytes_ = "pretend this is a .tar.bz2";
  const StoredArchive want_{"ab/abc", bytes_.size(), Sha256Hex(bytes_)};
};

// One chunk of a chunked body: its size in hex, CRLF, the bytes, CRLF.
std::string Chunk(const std::string& bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return size + bytes + "\r\n";
}

TEST_F(ArchiveFetchTest, ChunkedAnswerIsVerifiedAndRemovedAfterUse) {
  http_test::CannedServer s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                            Chunk(bytes_.substr(0, 4)) + Chunk(bytes_.substr(4)) + "0\r\n\r\n");
  std::string path = cache_ + "/ab/abc";
  {
    auto a = Fetch(s, want_);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(a->dir(), cache_);
    auto copy = ReadSmallFile(path, 1024);
    ASSERT_TRUE(copy.ok());
    EXPECT_EQ(*copy, bytes_);
  }
  EXPECT_FALSE(std::filesystem::exists(path));  // the fetched copy lives as long as its object
  // The signed link: the archive's URI, expiry now + link_ttl (120 s), its signature.
  EXPECT_EQ(s.Request().rfind("GET /archive/ab/abc?md5=", 0), 0u) << s.Request();
  EXPECT_NE(s.Request().find("&expires=1000120 HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(s.Request().find("User-Agent: oj-runner\r\n"), std::string::npos);
}

TEST_F(ArchiveFetchTest, RefusedLinkIsUnavailableWithItsStatus) {
  http_test::CannedServer s("HTTP/1.1 410 Gone\r\nContent-Length: 13\r\n\r\nlink expired\n");
  auto a = Fetch(s, want_);
  EXPECT_EQ(a.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(a.status().message().find("refused: HTTP/1.1 410 Gone"), std::string::npos)
      << a.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(cache_ + "/ab/abc"));
}

TEST_F(ArchiveFetchTest, RedirectIsRefusedNotFollowed) {
  http_test::CannedServer s(
      "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: "
      "0\r\n\r\n");
  auto a = Fetch(s, want_);
  EXPECT_EQ(a.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(a.status().message().find("301"), std::string::npos) << a.status().ToString();
}

TEST_F(ArchiveFetchTest, LongerOrAlteredBodyIsAMismatch) {
  {
    http_test::CannedServer s("HTTP/1.1 200 OK\r\nContent-Length: " +
                              std::to_string(bytes_.size() + 1) + "\r\n\r\n" + bytes_ + "!");
    auto a = Fetch(s, want_);
    EXPECT_EQ(a.status().code(), Status::Code::kInternal);
    EXPECT_NE(a.status().message().find("size"), std::string::npos) << a.status().ToString();
  }
  {
    std::string altered = bytes_;
    altered[0] ^= 0x20;
    http_test::CannedServer s("HTTP/1.1 200 OK\r\nContent-Length: " +
                              std::to_string(altered.size()) + "\r\n\r\n" + altered);
    auto a = Fetch(s, want_);
    EXPECT_EQ(a.status().code(), Status::Code::kInternal);
    EXPECT_NE(a.status().message().find("SHA-256"), std::string::npos) << a.status().ToString();
  }
  EXPECT_FALSE(std::filesystem::exists(cache_ + "/ab/abc"));
}

TEST_F(ArchiveFetchTest, BodyCutShortIsUnavailable) {
  http_test::CannedServer s("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(bytes_.size()) +
                            "\r\n\r\n" + bytes_.substr(0, 5));
  auto a = Fetch(s, want_);
  EXPECT_EQ(a.status().code(), Status::Code::kUnavailable) << a.status().ToString();
}

}  // namespace
}  // namespace oj::runner
