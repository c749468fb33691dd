#include "core/archive_link.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/fs.h"

namespace oj {
namespace {

const std::string kSecret(64, 'a');

TEST(ArchiveLinkTest, SignsLikeNginxSecureLinkMd5) {
  // Reference: printf '%s' '1700000000/archive/ab/abCDEF aaaa...a' | openssl md5 -binary
  //            | openssl base64 | tr +/ -_ | tr -d =
  EXPECT_EQ(ArchiveUri("ab/abCDEF"), "/archive/ab/abCDEF");
  std::string link = SignArchiveLink(kSecret, "/archive/ab/abCDEF", 1700000000);
  EXPECT_EQ(link.rfind("/archive/ab/abCDEF?md5=", 0), 0u);
  EXPECT_NE(link.find("&expires=1700000000"), std::string::npos);
  std::string md5 = link.substr(link.find("md5=") + 4, 22);
  EXPECT_EQ(md5, "-Y2cmlQ7rS4CNccNFjPXUw");  // 16 bytes, base64url without padding
}

TEST(ArchiveLinkTest, SignatureDependsOnEveryInput) {
  const std::string a = SignArchiveLink(kSecret, "/archive/ab/x", 100);
  EXPECT_EQ(a, SignArchiveLink(kSecret, "/archive/ab/x", 100));
  const std::string cases[] = {
      SignArchiveLink(kSecret, "/archive/ab/y", 100),
      SignArchiveLink(kSecret, "/archive/ab/x", 101),
      SignArchiveLink(std::string(64, 'b'), "/archive/ab/x", 100),
  };
  auto sig = [](const std::string& l) { return l.substr(l.find("md5="), 26); };
  for (const std::string& c : cases) EXPECT_NE(sig(a), sig(c)) << c;
}

TEST(ArchiveLinkTest, SnippetHoldsTheSecret) {
  EXPECT_EQ(ArchiveLinkNginxSnippet(kSecret).find("secure_link_md5 \"$secure_link_expires$uri " +
                                                  kSecret + "\";"),
            ArchiveLinkNginxSnippet(kSecret).find("secure_link_md5"));
}

TEST(ArchiveLinkTest, KeyCreatedOnceWithMode0600) {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("oj-archive-link-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  EXPECT_EQ(LoadArchiveSecret(dir).status().code(), Status::Code::kNotFound);
  auto s1 = LoadOrCreateArchiveSecret(dir);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(s1->size(), 64u);
  auto s2 = LoadOrCreateArchiveSecret(dir);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(*s1, *s2);
  struct stat st;
  ASSERT_EQ(::stat(ArchiveSecretPath(dir).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(ArchiveSnippetPath(dir).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto snippet = ReadSmallFile(ArchiveSnippetPath(dir));
  ASSERT_TRUE(snippet.ok());
  EXPECT_EQ(*snippet, ArchiveLinkNginxSnippet(*s1));
  ASSERT_TRUE(WriteFileAtomic(ArchiveSecretPath(dir), "not hex\n", 0600).ok());
  EXPECT_EQ(LoadArchiveSecret(dir).status().code(), Status::Code::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace oj
