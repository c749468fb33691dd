#include "core/utf8.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

const std::string R(kReplacementChar);

TEST(Utf8Test, ValidTextIsUnchanged) {
  const std::string cases[] = {
      "",
      "plain ascii\n\ttab",
      "caf\xC3\xA9",                     // U+00E9
      "\xE2\x82\xAC",                    // U+20AC
      "\xED\x9F\xBF",                    // U+D7FF, just below the surrogates
      "\xEE\x80\x80",                    // U+E000, just above them
      "\xEF\xBF\xBD",                    // U+FFFD itself
      "\xF0\x90\x80\x80",                // U+10000
      "\xF4\x8F\xBF\xBF",                // U+10FFFF, the last code point
      "\xC2\x80 \xDF\xBF \xE0\xA0\x80",  // the smallest 2- and 3-byte forms
      std::string("nul\0inside", 10),    // NUL is valid UTF-8
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(IsValidUtf8(c)) << c;
    EXPECT_EQ(ToValidUtf8(c), c) << c;
  }
}

TEST(Utf8Test, InvalidSequencesAreReplaced) {
  struct {
    const char* name;
    std::string in;
    std::string out;
  } cases[] = {
      {"the compile error's bytes", "#error bad \xff\xfe", "#error bad " + R + R},
      {"lone continuation", "a\x80z", "a" + R + "z"},
      {"continuations", "\x80\xBF", R + R},
      {"overlong 2-byte", "\xC0\xAF", R + R},
      {"overlong 2-byte C1", "\xC1\xBF", R + R},
      {"overlong 3-byte", "\xE0\x80\xAF", R + R + R},
      {"overlong 4-byte", "\xF0\x80\x80\xAF", R + R + R + R},
      {"surrogate D800", "\xED\xA0\x80", R + R + R},
      {"surrogate DFFF", "\xED\xBF\xBF", R + R + R},
      {"above U+10FFFF", "\xF4\x90\x80\x80", R + R + R + R},
      {"F5 never starts", "\xF5\x80\x80\x80", R + R + R + R},
      {"truncated 2-byte at end", "ok\xC3", "ok" + R},
      {"truncated 3-byte at end", "ok\xE2\x82", "ok" + R},
      {"truncated 4-byte at end", "ok\xF0\x9F\x98", "ok" + R},
      {"truncated 3-byte before ascii", "\xE2\x82z", R + "z"},
      {"truncated 4-byte before a valid one", "\xF0\x9F\xC3\xA9", R + "\xC3\xA9"},
      {"start byte after start byte", "\xE2\xE2\x82\xAC", R + "\xE2\x82\xAC"},
      {"mixed", "a\xC3\xA9\xFF\xE2\x82\xAC\xC3", "a\xC3\xA9" + R + "\xE2\x82\xAC" + R},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(IsValidUtf8(c.in)) << c.name;
    std::string got = ToValidUtf8(c.in);
    EXPECT_EQ(got, c.out) << c.name;
    EXPECT_TRUE(IsValidUtf8(got)) << c.name;
  }
}

TEST(Utf8Test, AllTwoByteInputsBecomeValid) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      std::string in{static_cast<char>(a), static_cast<char>(b)};
      ASSERT_TRUE(IsValidUtf8(ToValidUtf8(in))) << a << " " << b;
    }
  }
}

TEST(Utf8Test, CutPointKeepsCharactersWhole) {
  const std::string euro = "\xE2\x82\xAC";                          // 3 bytes
  const std::string text = "ab" + euro + "\xF0\x9F\x98\x80" + "z";  // 2 + 3 + 4 + 1 bytes
  struct {
    size_t max;
    size_t want;
  } cases[] = {
      {0, 0}, {1, 1}, {2, 2}, {3, 2},   {4, 2},   {5, 5},
      {6, 5}, {8, 5}, {9, 9}, {10, 10}, {11, 10}, {1000, 10},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Utf8CutPoint(text, c.max), c.want) << c.max;
    EXPECT_TRUE(IsValidUtf8(text.substr(0, Utf8CutPoint(text, c.max)))) << c.max;
  }
  // Stray bytes are single characters: a cut may fall right after one.
  EXPECT_EQ(Utf8CutPoint("a\xFF" + euro, 2), 2u);
  EXPECT_EQ(Utf8CutPoint("a\xFF" + euro, 4), 2u);
  EXPECT_EQ(Utf8CutPoint("", 5), 0u);
}

TEST(Utf8Test, StoredTextIsValidNulFreeAndCut) {
  bool cut = true;
  EXPECT_EQ(ToStoredText("hello", 100, &cut), "hello");
  EXPECT_FALSE(cut);
  EXPECT_EQ(ToStoredText(std::string("a\0b", 3), 100, &cut), "a" + R + "b");
  EXPECT_FALSE(cut);
  // Replacement happens before the cut, and the cut never splits the U+FFFD.
  EXPECT_EQ(ToStoredText("ab\xFF\xFF", 4, &cut), "ab");
  EXPECT_TRUE(cut);
  EXPECT_EQ(ToStoredText("ab\xFF\xFF", 5, &cut), "ab" + R);
  EXPECT_TRUE(cut);
  EXPECT_EQ(ToStoredText("ab\xFF\xFF", 8, &cut), "ab" + R + R);
  EXPECT_FALSE(cut);
  EXPECT_EQ(ToStoredText("x\xE2\x82\xAC", 3), "x");
}

}  // namespace
}  // namespace oj
