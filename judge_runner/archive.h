// Extraction of a student's upload (any format libarchive reads: tar, tar.bz2, tar.gz,
// zip, ...). Runs inside the sandbox (oj-extract), so even a libarchive bug only sees
// the job's own empty directory; the checks here make the verdict precise.
//
// Refused (bad_archive): absolute names, ".." components, device files and FIFOs,
// hard links, names that walk through a symlink, more than max_entries entries, more
// than max_bytes of file content (counted while decompressing: a bzip2 bomb stops at the
// limit, it never reaches the disk), names or link targets longer than max_name_bytes,
// and symlinks that do not resolve inside the extracted tree.
//
// Symlinks. Checking a link's own text is not enough: with `q -> .`, the target
// `q/../judge/secret.txt` climbs out through q. So once every entry is written, each
// symlink is resolved the way the kernel would, component by component from its own
// directory, following every link on the way in the tree as extracted (so the archive's
// order does not matter), and the archive is refused if the walk ever goes above the
// extraction root, meets an absolute target, or follows more than kMaxLinkHops links (a
// loop). Components that do not exist are walked lexically, as if they were directories
// created later. We write entries ourselves (no archive_write_disk, so libarchive's
// ARCHIVE_EXTRACT_SECURE_* flags do not apply); hard links are refused outright.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace oj::runner {

// kInside: symlinks are kept if they resolve inside the tree; kRefuse: any symlink
// makes the archive bad_archive (oj-extract --links refuse).
enum class LinkPolicy { kInside, kRefuse };

struct ArchiveLimits {
  uint32_t max_entries = 2000;       // files, directories and links
  uint64_t max_bytes = 64ull << 20;  // total file content after decompression
  uint32_t max_name_bytes = 1024;    // one entry's path, or a symlink's target
  LinkPolicy links = LinkPolicy::kInside;
};

// Resolution gives up (refuses) past these: the kernel's own limit on links followed
// (MAXSYMLINKS), and a bound on the components walked for one link.
inline constexpr uint32_t kMaxLinkHops = 40;
inline constexpr uint32_t kMaxResolveSteps = 4096;

// True if name is a relative path with no "..", no empty-after-normalising result,
// and no control characters. "./a/b", "a/b/" are fine.
bool IsSafeEntryName(std::string_view name);

// What extraction created, by normalised path relative to the root ("a/b", no "." or
// trailing slash), the directories made for an entry's parents included.
enum class NodeType { kDirectory, kFile, kSymlink };
struct TreeNode {
  NodeType type = NodeType::kFile;
  std::string target;  // kSymlink only: the link's text
};
using ExtractedTree = std::map<std::string, TreeNode>;

// Resolves the symlink at link_path (REQUIRES: a kSymlink in tree) as described above.
// Ok if it stays inside the root; kInvalidArgument saying why not.
Status ResolveLinkInside(const ExtractedTree& tree, const std::string& link_path);

// Every symlink of tree through ResolveLinkInside; the first failure names its link.
Status CheckLinksInside(const ExtractedTree& tree);

struct ExtractOutcome {
  bool ok = false;
  bool limit = false;   // refused because a limit was reached (not malformed)
  std::string message;  // why refused; for the student's log
  uint32_t entries = 0;
  uint64_t bytes = 0;
};

// Reads an archive from fd and extracts it into the current directory.
ExtractOutcome ExtractArchive(int fd, const ArchiveLimits& limits);

// oj-extract's exit codes, read by the runner.
inline constexpr int kExtractOk = 0;
inline constexpr int kExtractRefused = 10;  // bad archive; the message is on stdout
inline constexpr int kExtractLimit = 11;    // a limit reached; the message is on stdout

}  // namespace oj::runner
