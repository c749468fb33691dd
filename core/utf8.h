// UTF-8 hygiene for text that comes from a job (build output, the judge's messages,
// entry names) on its way to the database, whose columns are strict utf8mb4: one
// invalid byte there fails the whole write (MariaDB error 1366).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace oj {

// "\xEF\xBF\xBD", U+FFFD REPLACEMENT CHARACTER.
inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// True if text is well-formed UTF-8 (Unicode Table 3-7: no overlong forms, no
// surrogates, nothing above U+10FFFF, no truncated sequence).
bool IsValidUtf8(std::string_view text);

// text with each maximal ill-formed subpart (Unicode §3.9, as the WHATWG decoder does)
// replaced by U+FFFD: "\xE2\x82" is one U+FFFD, "\xFF\xFE" two. Valid text comes back
// unchanged, so the result is never shorter in characters and at most 3x longer in bytes.
std::string ToValidUtf8(std::string_view text);

// The longest prefix length <= max that does not split a character: text.substr(0, n)
// is valid whenever text is. For invalid text it never cuts inside a well-formed
// sequence (each ill-formed subpart counts as one character).
size_t Utf8CutPoint(std::string_view text, size_t max);

// What a database text column gets: ToValidUtf8, then every NUL byte replaced by U+FFFD
// too (MariaDB stores NUL, but C-string consumers and the results page would cut or
// drop the rest; the replacement shows where it was), then cut at a character boundary
// to at most max_bytes. *cut (if given) says whether anything was cut.
std::string ToStoredText(std::string_view text, size_t max_bytes, bool* cut = nullptr);

}  // namespace oj
