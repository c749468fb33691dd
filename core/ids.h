// Submission IDs and student tokens: random [A-Za-z0-9] strings from the
// kernel's CSPRNG (getrandom), rejection-sampled so every character is uniform.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oj {

inline constexpr size_t kSubmissionIdLength = 16;
inline constexpr size_t kTokenLength = 8;

// Throws std::system_error if the kernel RNG fails (it does not block after boot).
std::string RandomAlnum(size_t length);
inline std::string NewSubmissionId() { return RandomAlnum(kSubmissionIdLength); }
inline std::string NewToken() { return RandomAlnum(kTokenLength); }

bool IsAlnum(std::string_view s);
inline bool IsValidToken(std::string_view s) { return s.size() == kTokenLength && IsAlnum(s); }
inline bool IsValidSubmissionId(std::string_view s) {
  return s.size() == kSubmissionIdLength && IsAlnum(s);
}
// Course and module codes: 1-32 of [A-Za-z0-9_-].
bool IsValidCode(std::string_view s);

// Idempotency-Key values (contract §3.1): 16-64 URL-safe characters, RFC 3986's unreserved
// set [A-Za-z0-9._~-]. The header is a structured-field string in the IETF draft
// (draft-ietf-httpapi-idempotency-key-header), so one pair of surrounding double
// quotes is accepted and removed. Returns the bare key, or nullopt when invalid.
inline constexpr size_t kMinIdempotencyKeyLength = 16;
inline constexpr size_t kMaxIdempotencyKeyLength = 64;
std::optional<std::string> ParseIdempotencyKey(std::string_view header_value);

}  // namespace oj
