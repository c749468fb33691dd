#include "core/ids.h"

#include <sys/random.h>

#include <cerrno>
#include <system_error>

namespace oj {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr unsigned kAlphabetSize = 62;
// Largest multiple of 62 below 256: bytes at or above it are rejected.
constexpr unsigned kRejectFrom = 248;
}  // namespace

std::string RandomAlnum(size_t length) {
  std::string out;
  out.reserve(length);
  unsigned char buf[64];
  while (out.size() < length) {
    ssize_t n = getrandom(buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    for (ssize_t i = 0; i < n && out.size() < length; ++i) {
      if (buf[i] < kRejectFrom) out.push_back(kAlphabet[buf[i] % kAlphabetSize]);
    }
  }
  return out;
}

bool IsAlnum(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return !s.empty();
}

bool IsValidCode(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> ParseIdempotencyKey(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.size() < kMinIdempotencyKeyLength || v.size() > kMaxIdempotencyKeyLength) {
    return std::nullopt;
  }
  for (char c : v) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return std::nullopt;
  }
  return std::string(v);
}

}  // namespace oj
