#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace oj {
namespace {

TEST(IdsTest, SubmissionIdsAreSixteenAlnumAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string id = NewSubmissionId();
    ASSERT_TRUE(IsValidSubmissionId(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(IdsTest, EveryAlphabetCharacterAppears) {
  std::set<char> chars;
  for (int i = 0; i < 200; ++i)
    for (char c : NewSubmissionId()) chars.insert(c);
  EXPECT_EQ(chars.size(), 62u);
}

TEST(IdsTest, TokenValidation) {
  EXPECT_TRUE(IsValidToken("aB3dE6gH"));
  EXPECT_FALSE(IsValidToken("aB3dE6g"));
  EXPECT_FALSE(IsValidToken("aB3dE6gH9"));
  EXPECT_FALSE(IsValidToken("aB3dE6g/"));
  EXPECT_FALSE(IsValidToken("../../.."));
  EXPECT_FALSE(IsValidToken(std::string("aB3d\0E6g", 8)));
  EXPECT_TRUE(IsValidToken(NewToken()));
}

TEST(IdsTest, CodeValidation) {
  EXPECT_TRUE(IsValidCode("ICS2024"));
  EXPECT_TRUE(IsValidCode("Lab_1-b"));
  EXPECT_FALSE(IsValidCode(""));
  EXPECT_FALSE(IsValidCode("a/b"));
  EXPECT_FALSE(IsValidCode(".."));
  EXPECT_FALSE(IsValidCode(std::string(33, 'a')));
}

TEST(IdsTest, IdempotencyKeyParsing) {
  struct Case {
    const char* header;
    std::optional<std::string> key;
  } cases[] = {
      {"0123456789abcdef", "0123456789abcdef"},  // 16: the shortest
      {"\"8e03978e-40d5-43e8-bc93-6894a57f9324\"",
       "8e03978e-40d5-43e8-bc93-6894a57f9324"},  // the draft's quoted form
      {"AZaz09-._~AZaz09", "AZaz09-._~AZaz09"},  // every unreserved class
      {"0123456789abcde", std::nullopt},         // 15
      {"", std::nullopt},
      {"\"\"", std::nullopt},
      {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},                 // 64
      {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", std::nullopt},  // 65
      {"0123456789abcdef/", std::nullopt},         // not URL-safe
      {"0123456789 abcdef", std::nullopt},         // space
      {"0123456789abcdef\r\nX: y", std::nullopt},  // header injection
      {"\"0123456789abcdef", std::nullopt},        // one quote
      {"0123456789abcdef\xc3\xa9", std::nullopt},  // non-ASCII
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseIdempotencyKey(c.header), c.key) << c.header;
  }
}

}  // namespace
}  // namespace oj
