// Submission IDs and student tokens: random [A-Za-z0-9] strings from the
// kernel's CSPRNG (getrandom), rejection-sampled so every character is uniform.
#pragma once

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

}  // namespace oj
