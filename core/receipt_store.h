// What a receipt's submission looks like in the database now, for `ojctl receipt verify`.
#pragma once

#include <optional>
#include <string>

#include "core/db.h"

namespace oj {

struct ReceiptCheck {
  bool exists = false;
  std::string sha256;
  std::string status;
  std::string course;
  std::string module;
  std::string token;
};

Result<ReceiptCheck> LookupReceiptSubmission(Database& db, const std::string& id);

}  // namespace oj
