#include "judge_runner/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace oj::runner {
namespace {

TEST(RunnerArchiveTest, EntryNames) {
  const char* safe[] = {"a", "a/b", "./a", "a/b/", "./", ".", "a/./b", "dir//file", "a..b", "..a"};
  const char* unsafe[] = {"",     "/etc/passwd", "..",        "../x",     "a/../../x",
                          "a/..", "a/b/../c",    "bad\nname", "tab\tname"};
  for (const char* n : safe) EXPECT_TRUE(IsSafeEntryName(n)) << n;
  for (const char* n : unsafe) EXPECT_FALSE(IsSafeEntryName(n)) << n;
}

// An entry of a test tree: "path/" is a directory, no target a file, else a link.
struct Entry {
  Entry(std::string p) : path(std::move(p)) {}  // NOLINT: implicit, for the tables
  Entry(std::string p, std::string t) : path(std::move(p)), target(std::move(t)) {}
  std::string path;
  std::optional<std::string> target;
};

ExtractedTree Tree(const std::vector<Entry>& entries) {
  ExtractedTree t;
  for (const auto& e : entries) {
    std::string path = e.path;
    bool dir = !path.empty() && path.back() == '/';
    if (dir) path.pop_back();
    for (size_t i = path.find('/'); i != std::string::npos; i = path.find('/', i + 1)) {
      t.try_emplace(path.substr(0, i), TreeNode{NodeType::kDirectory, ""});
    }
    if (dir) {
      t[path] = {NodeType::kDirectory, ""};
    } else if (!e.target) {
      t[path] = {NodeType::kFile, ""};
    } else {
      t[path] = {NodeType::kSymlink, *e.target};
    }
  }
  return t;
}

// l1 -> l2 -> ... -> ln -> last.
std::vector<Entry> Chain(int n, const std::string& last) {
  std::vector<Entry> out;
  for (int i = 1; i < n; ++i) out.push_back({"l" + std::to_string(i), "l" + std::to_string(i + 1)});
  out.push_back({"l" + std::to_string(n), last});
  return out;
}

TEST(RunnerArchiveTest, LinksResolveInsideTheTree) {
  struct Case {
    const char* name;
    std::vector<Entry> tree;
    const char* refused;  // the link named in the refusal; nullptr: accepted
  };
  std::vector<Entry> long_ok = Chain(30, "file");
  long_ok.push_back({"file"});
  std::vector<Entry> too_long = Chain(41, "file");
  too_long.push_back({"file"});
  std::vector<Entry> long_out = Chain(20, "../x");
  const Case cases[] = {
      // Chains that once escaped: each link's own text looks harmless.
      {"q -> . then q/..", {{"q", "."}, {"answer.txt", "q/../judge/secret.txt"}}, "answer.txt"},
      {"d/up -> .. then d/up/..",
       {{"d/up", ".."}, {"answer.txt", "d/up/../judge/secret.txt"}},
       "answer.txt"},
      {"deeper: a/b/up -> ../.. then up/..", {{"a/b/up", "../.."}, {"x", "a/b/up/../y"}}, "x"},
      {"through two links", {{"p", "q"}, {"q", "."}, {"x", "p/../y"}}, "x"},
      // Long chains: followed to the end; more than kMaxLinkHops is refused.
      {"30 links to a file", long_ok, nullptr},
      {"41 links", too_long, "l1"},
      {"20 links, the last climbs out", long_out, "l1"},
      // Loops.
      {"a -> b, b -> a", {{"a", "b"}, {"b", "a"}}, "a"},
      {"a -> a", {{"a", "a"}}, "a"},
      {"a/l -> ../a/l", {{"a/l", "../a/l"}}, "a/l"},
      {"d/loop -> ../d/loop/x", {{"d/loop", "../d/loop/x"}}, "d/loop"},
      // Absolute targets, own or on the way.
      {"absolute", {{"passwd", "/etc/passwd"}}, "passwd"},
      {"absolute on the way", {{"a", "b/x"}, {"b", "/etc"}}, "a"},
      {"empty target", {{"a", ""}}, "a"},
      // ".." after a link to a directory climbs from where the link points.
      {"d -> sub/deep, d/../../x is the top's x",
       {{"sub/deep/"}, {"x"}, {"d", "sub/deep"}, {"e", "d/../../x"}},
       nullptr},
      {"d -> sub/deep, d/../../../x is above",
       {{"sub/deep/"}, {"d", "sub/deep"}, {"e", "d/../../../x"}},
       "e"},
      {"a/b/l -> ../../c/d, l/../.. is the top",
       {{"c/d/"}, {"a/b/l", "../../c/d"}, {"z", "a/b/l/../../f"}},
       nullptr},
      // Legitimate links.
      {"lib -> src/lib", {{"src/lib/util.c"}, {"lib", "src/lib"}}, nullptr},
      {"x -> ./y", {{"y"}, {"x", "./y"}}, nullptr},
      {"link -> .", {{"link", "."}}, nullptr},
      {"a/link -> ..", {{"a/link", ".."}}, nullptr},
      {"a/link -> ../file", {{"file"}, {"a/link", "../file"}}, nullptr},
      {"a/b/link -> ../../file", {{"file"}, {"a/b/link", "../../file"}}, nullptr},
      {"a/link -> ./b/c", {{"a/b/c"}, {"a/link", "./b/c"}}, nullptr},
      {"dangling inside", {{"x", "build/out.bin"}}, nullptr},
      {"chain to a file", {{"f"}, {"a", "b"}, {"b", "f"}}, nullptr},
      // Lexically, as the tree could be later: missing names and files are directories.
      {"link -> ../file", {{"link", "../file"}}, "link"},
      {"a/link -> ../../file", {{"a/link", "../../file"}}, "a/link"},
      {"a/link -> b/../../..", {{"a/link", "b/../../.."}}, "a/link"},
      {"missing/../y", {{"x", "missing/../y"}}, nullptr},
      {"missing/../../y", {{"x", "missing/../../y"}}, "x"},
      {"file/../../y", {{"f"}, {"x", "f/../../y"}}, "x"},
  };
  for (const auto& c : cases) {
    Status s = CheckLinksInside(Tree(c.tree));
    if (c.refused == nullptr) {
      EXPECT_TRUE(s.ok()) << c.name << ": " << s.message();
    } else {
      EXPECT_FALSE(s.ok()) << c.name;
      EXPECT_NE(s.message().find(std::string("symlink '") + c.refused + "'"), std::string::npos)
          << c.name << ": " << s.message();
    }
  }
}

TEST(RunnerArchiveTest, RefusalSaysWhichLinkLedOut) {
  Status s = CheckLinksInside(Tree({{"q", "."}, {"answer.txt", "q/../judge/secret.txt"}}));
  EXPECT_EQ(s.message(),
            "symlink 'answer.txt' points outside the submission: it climbs above the "
            "submission after 'q'");
  s = CheckLinksInside(Tree({{"a/l", "../../x"}}));
  EXPECT_EQ(s.message(),
            "symlink 'a/l' points outside the submission: it climbs above the submission");
}

// Extraction end to end: an archive written with libarchive, extracted in a temp dir.
class ExtractTest : public ::testing::Test {
 protected:
  struct Member {
    std::string name;
    char type = 'f';   // f file, d directory, l symlink, h hard link
    std::string data;  // content, or the link's target
  };

  void SetUp() override {
    char tmpl[] = "/tmp/oj-archive-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    old_cwd_ = std::filesystem::current_path();
    Fresh();
  }
  // An empty extraction directory, the current one.
  void Fresh() {
    std::filesystem::current_path(dir_);
    std::filesystem::remove_all(dir_ + "/out");
    std::filesystem::create_directory(dir_ + "/out");
    std::filesystem::current_path(dir_ + "/out");
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
  }

  ExtractOutcome Extract(const std::vector<Member>& members, ArchiveLimits limits = {}) {
    const std::string path = dir_ + "/upload.tar";
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    EXPECT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
    for (const auto& m : members) {
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, m.name.c_str());
      archive_entry_set_perm(e, 0644);
      if (m.type == 'f') {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
      } else if (m.type == 'd') {
        archive_entry_set_filetype(e, AE_IFDIR);
      } else if (m.type == 'l') {
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.data.c_str());
      } else {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.data.c_str());
      }
      archive_write_header(a, e);
      if (m.type == 'f') archive_write_data(a, m.data.data(), m.data.size());
      archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    ExtractOutcome o = ExtractArchive(fd, limits);
    ::close(fd);
    return o;
  }

  std::string dir_;
  std::filesystem::path old_cwd_;
};

TEST_F(ExtractTest, TheIssuesChainsAreRefusedInEitherOrder) {
  const std::vector<std::vector<Member>> archives = {
      {{"main.c", 'f', "int main;"}, {"q", 'l', "."}, {"answer.txt", 'l', "q/../judge/secret.txt"}},
      {{"answer.txt", 'l', "q/../judge/secret.txt"}, {"q", 'l', "."}},
      {{"d", 'd', ""}, {"d/up", 'l', ".."}, {"answer.txt", 'l', "d/up/../judge/secret.txt"}},
      {{"answer.txt", 'l', "d/up/../judge/secret.txt"}, {"d/up", 'l', ".."}},
  };
  for (const auto& members : archives) {
    ExtractOutcome o = Extract(members);
    EXPECT_FALSE(o.ok);
    EXPECT_FALSE(o.limit);
    EXPECT_NE(o.message.find("symlink 'answer.txt' points outside the submission"),
              std::string::npos)
        << o.message;
    Fresh();
  }
}

TEST_F(ExtractTest, LinksInsideAreKept) {
  ExtractOutcome o = Extract({{"src/lib/util.c", 'f', "int x;"},
                              {"lib", 'l', "src/lib"},
                              {"y", 'f', "y"},
                              {"x", 'l', "./y"}});
  ASSERT_TRUE(o.ok) << o.message;
  EXPECT_EQ(std::filesystem::read_symlink("lib"), "src/lib");
  EXPECT_TRUE(std::filesystem::is_regular_file("lib/util.c"));
}

TEST_F(ExtractTest, RefusePolicyRefusesEveryLink) {
  ArchiveLimits refuse;
  refuse.links = LinkPolicy::kRefuse;
  ExtractOutcome o = Extract({{"y", 'f', "y"}, {"x", 'l', "./y"}}, refuse);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.message.find("accepts no links"), std::string::npos) << o.message;
  EXPECT_TRUE(Extract({{"z", 'f', "z"}}, refuse).ok);
}

TEST_F(ExtractTest, AbsoluteLinksAndHardLinksAreRefused) {
  ExtractOutcome o = Extract({{"passwd", 'l', "/etc/passwd"}});
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.message.find("points outside"), std::string::npos) << o.message;
  o = Extract({{"a", 'f', "a"}, {"h", 'h', "/etc/passwd"}});
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.message.find("hard link"), std::string::npos) << o.message;
}

TEST_F(ExtractTest, NamesThroughALinkAreRefused) {
  ExtractOutcome o = Extract({{"d", 'l', "."}, {"d/x", 'f', "x"}});
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.message.find("is a link or a file"), std::string::npos) << o.message;
}

}  // namespace
}  // namespace oj::runner
