// oj-extract: extracts the archive on stdin into the current directory under limits.
// The runner starts it inside the sandbox (see archive.h and sandbox.h); it prints one
// line saying what it did or why it refused, and exits with kExtract* codes.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "judge_runner/archive.h"

int main(int argc, char** argv) {
  oj::runner::ArchiveLimits limits;
  bool usage = argc % 2 == 0;
  for (int i = 1; !usage && i + 1 < argc; i += 2) {
    unsigned long long v = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--max-entries") == 0) {
      limits.max_entries = static_cast<uint32_t>(v);
    } else if (std::strcmp(argv[i], "--max-bytes") == 0) {
      limits.max_bytes = v;
    } else if (std::strcmp(argv[i], "--links") == 0 && std::strcmp(argv[i + 1], "inside") == 0) {
      limits.links = oj::runner::LinkPolicy::kInside;
    } else if (std::strcmp(argv[i], "--links") == 0 && std::strcmp(argv[i + 1], "refuse") == 0) {
      limits.links = oj::runner::LinkPolicy::kRefuse;
    } else {
      usage = true;
    }
  }
  if (usage) {
    std::fprintf(stderr,
                 "usage: oj-extract [--max-entries N] [--max-bytes N] [--links inside|refuse] "
                 "<archive\n");
    return 2;
  }
  oj::runner::ExtractOutcome o = oj::runner::ExtractArchive(0, limits);
  if (o.ok) {
    std::printf("extracted %u entries, %llu bytes\n", o.entries,
                static_cast<unsigned long long>(o.bytes));
    return oj::runner::kExtractOk;
  }
  std::printf("%s\n", o.message.c_str());
  return o.limit ? oj::runner::kExtractLimit : oj::runner::kExtractRefused;
}
