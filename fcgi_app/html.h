// Text that reaches a page: student and judge bytes are never trusted to be UTF-8
// or free of markup.
#pragma once

#include <string>
#include <string_view>

namespace oj {

// s with every ill-formed UTF-8 sequence (stray continuation bytes, truncated
// sequences, overlong forms, surrogates, code points past U+10FFFF) replaced by
// U+FFFD, one per maximal ill-formed subpart (the WHATWG decoder's rule), and NUL
// replaced by U+FFFD as HTML parsers do.
std::string ToValidUtf8(std::string_view s);

// ToValidUtf8(s) with & < > " ' escaped: safe in element content and in quoted
// attribute values.
std::string HtmlEscape(std::string_view s);

}  // namespace oj
