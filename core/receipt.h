// Signed upload receipts (X-OJ-Receipt): proof for a student that a submission
// arrived, verifiable by staff (`ojctl receipt verify`).
//
// Format: "r1.<key id>.<payload>.<mac>", payload = base64url(JSON with id, course,
// module, token, size, sha256, received_at (ISO 8601 UTC), seq), mac =
// base64url(HMAC-SHA-256(key, "r1.<key id>.<payload>")). URL-safe, no padding.
// Keys live in a directory as receipt-<id>.key (32 random bytes, mode 0600); the
// highest id signs, every id present verifies, so rotation keeps old receipts valid.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"

namespace oj {

struct ReceiptFields {
  std::string id;
  std::string course;
  std::string module;
  std::string token;
  uint64_t size_bytes = 0;
  std::string sha256;
  std::string received_at;  // ISO 8601, UTC
  uint64_t seq = 0;         // queue position when received
};

class ReceiptKeys {
 public:
  // Loads every receipt-<n>.key in dir; NotFound if there is none.
  static Result<ReceiptKeys> Load(const std::string& dir);
  // Creates dir and a first key if none exists; returns the keys.
  static Result<ReceiptKeys> LoadOrCreate(const std::string& dir);
  // Adds a key with the next id (rotation); old keys stay for verification.
  static Result<uint32_t> Rotate(const std::string& dir);

  std::string Sign(const ReceiptFields& f) const;
  // Checks the MAC with the key named in the receipt; returns the fields.
  Result<ReceiptFields> Verify(const std::string& receipt) const;
  uint32_t current_id() const { return current_; }

  // For tests: keys from memory.
  static ReceiptKeys FromMap(std::map<uint32_t, std::string> keys);

 private:
  std::map<uint32_t, std::string> keys_;
  uint32_t current_ = 0;
};

std::string Base64UrlEncode(const std::string& bytes);
Result<std::string> Base64UrlDecode(const std::string& text);

}  // namespace oj
