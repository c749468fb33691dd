#include "core/utf8.h"

namespace oj {
namespace {

// Length of the well-formed sequence starting at text[i], or 0 if none does; *prefix
// gets how many bytes form the maximal ill-formed subpart (at least 1) when it is 0.
size_t SequenceAt(std::string_view text, size_t i, size_t* prefix) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range (Table 3-7)
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // no overlongs
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *prefix = 1;  // 80..C1 and F5..FF never start a character
    return 0;
  }
  size_t k = 1;
  for (; k < n && i + k < text.size(); ++k) {
    const unsigned char lower = k == 1 ? lo : 0x80, upper = k == 1 ? hi : 0xBF;
    if (b(k) < lower || b(k) > upper) break;
  }
  if (k == n) return n;
  *prefix = k;
  return 0;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t prefix = 0;
    size_t n = SequenceAt(text, i, &prefix);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t prefix = 0;
    size_t n = SequenceAt(text, i, &prefix);
    if (n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out.append(kReplacementChar);
      i += prefix;
    }
  }
  return out;
}

size_t Utf8CutPoint(std::string_view text, size_t max) {
  if (max >= text.size()) return text.size();
  size_t i = 0;
  while (i < max) {
    size_t prefix = 0;
    size_t n = SequenceAt(text, i, &prefix);
    size_t step = n > 0 ? n : prefix;
    if (i + step > max) break;
    i += step;
  }
  return i;
}

std::string ToStoredText(std::string_view text, size_t max_bytes, bool* cut) {
  std::string valid = ToValidUtf8(text);
  std::string out;
  if (valid.find('\0') == std::string::npos) {
    out = std::move(valid);
  } else {
    out.reserve(valid.size() + 16);
    for (char c : valid) {
      if (c == '\0') {
        out.append(kReplacementChar);
      } else {
        out.push_back(c);
      }
    }
  }
  const bool over = out.size() > max_bytes;
  if (over) out.resize(Utf8CutPoint(out, max_bytes));
  if (cut != nullptr) *cut = over;
  return out;
}

}  // namespace oj
