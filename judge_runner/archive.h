// Extraction of a student's upload (any format libarchive reads: tar, tar.bz2, tar.gz,
// zip, ...). Runs inside the sandbox (oj-extract), so even a libarchive bug only sees
// the job's own empty directory; the checks here make the verdict precise.
//
// Refused (bad_archive): absolute names, ".." components, device files and FIFOs,
// hard links, symlinks whose target is absolute or leads outside the submission, names
// that walk through a symlink, more than max_entries entries, more than max_bytes of
// file content (counted while decompressing: a bzip2 bomb stops at the limit, it never
// reaches the disk), names longer than max_name_bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace oj::runner {

struct ArchiveLimits {
  uint32_t max_entries = 2000;       // files, directories and links
  uint64_t max_bytes = 64ull << 20;  // total file content after decompression
  uint32_t max_name_bytes = 1024;    // one entry's path
};

// True if name is a relative path with no "..", no empty-after-normalising result,
// and no control characters. "./a/b", "a/b/" are fine.
bool IsSafeEntryName(std::string_view name);
// True if a symlink at entry_name pointing to target stays inside the submission
// (lexically: relative, and its ".." never climb above the top).
bool IsSafeLinkTarget(std::string_view entry_name, std::string_view target);

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
