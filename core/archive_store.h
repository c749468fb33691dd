// What the intake recorded about a stored upload, so a judge host can check the bytes
// it read or fetched (docs/scaling.md): size and SHA-256 from the submissions row.
#pragma once

#include <cstdint>
#include <string>

#include "core/db.h"

namespace oj {

struct StoredArchive {
  std::string storage_key;  // relative to paths.storage_dir
  uint64_t size_bytes = 0;
  std::string sha256;  // lowercase hex
};

// kNotFound: no such submission.
Result<StoredArchive> LoadStoredArchive(Database& db, const std::string& submission_id);

}  // namespace oj
