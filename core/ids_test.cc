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

}  // namespace
}  // namespace oj
