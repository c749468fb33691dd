#include "fcgi_app/html.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(ToValidUtf8Test, Table) {
  struct Case {
    std::string in;
    std::string want;
  } cases[] = {
      {"", ""},
      {"plain ascii\n\t", "plain ascii\n\t"},
      {"caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"},
      {"a\xFF"
       "b",
       "a" + kFffd + "b"},          // never valid
      {"\x80\x80", kFffd + kFffd},  // stray continuations
      {"a\xC3", "a" + kFffd},       // truncated at the end
      {"\xE2\x9C"
       "x",
       kFffd + "x"},                                        // truncated: one U+FFFD
      {"\xC0\xAF", kFffd + kFffd},                          // overlong '/'
      {"\xE0\x80\xAF", kFffd + kFffd + kFffd},              // overlong, 3 bytes
      {"\xED\xA0\x80", kFffd + kFffd + kFffd},              // surrogate U+D800
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // past U+10FFFF
      {"\xF0\x9F\x98", kFffd},                              // truncated 4-byte
      {std::string("a\0b", 3), "a" + kFffd + "b"},          // NUL
      {"\xEF\xBF\xBD", "\xEF\xBF\xBD"},                     // U+FFFD itself is fine
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ToValidUtf8(c.in), c.want) << testing::PrintToString(c.in);
  }
}

TEST(HtmlEscapeTest, Table) {
  struct Case {
    std::string in;
    std::string want;
  } cases[] = {
      {"", ""},
      {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
      {"a & b", "a &amp; b"},
      {"\"x\" 'y'", "&quot;x&quot; &#39;y&#39;"},
      {"&amp;", "&amp;amp;"},
      {"<\xFF>", "&lt;" + kFffd + "&gt;"},
      {"\xC3<", kFffd + "&lt;"},  // an escape is never swallowed by a broken sequence
      {"\xE2\x9C\x93", "\xE2\x9C\x93"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HtmlEscape(c.in), c.want) << testing::PrintToString(c.in);
  }
}

TEST(HtmlEscapeTest, OutputHasNoMarkupForAnyByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::string out = HtmlEscape(all + all);
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('>'), std::string::npos);
  EXPECT_EQ(out.find('"'), std::string::npos);
  EXPECT_EQ(ToValidUtf8(out), out);
}

}  // namespace
}  // namespace oj
