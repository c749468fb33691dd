#include "core/receipt.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

namespace oj {
namespace {

ReceiptFields Sample() {
  ReceiptFields f;
  f.id = "AbCdEfGhIjKlMnOp";
  f.course = "ICS2024";
  f.module = "PA1";
  f.token = "AbCd1234";
  f.size_bytes = 12345;
  f.sha256 = std::string(64, 'a');
  f.received_at = "2024-10-05T01:02:03Z";
  f.seq = 7;
  return f;
}

TEST(ReceiptTest, SignVerifyRoundTrip) {
  auto keys = ReceiptKeys::FromMap({{1, std::string(32, 'k')}});
  std::string r = keys.Sign(Sample());
  EXPECT_EQ(
      r.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
      std::string::npos);
  auto f = keys.Verify(r);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->id, "AbCdEfGhIjKlMnOp");
  EXPECT_EQ(f->size_bytes, 12345u);
  EXPECT_EQ(f->seq, 7u);
}

TEST(ReceiptTest, EveryOneCharacterChangeIsRejected) {
  auto keys = ReceiptKeys::FromMap({{1, std::string(32, 'k')}});
  std::string r = keys.Sign(Sample());
  for (size_t i = 0; i < r.size(); ++i) {
    std::string bad = r;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(keys.Verify(bad).ok()) << "position " << i;
  }
  EXPECT_FALSE(keys.Verify("").ok());
  EXPECT_FALSE(keys.Verify("r1.1..").ok());
  EXPECT_FALSE(keys.Verify(r + "x").ok());
}

TEST(ReceiptTest, RotationKeepsOldReceiptsValid) {
  std::string dir = testing::TempDir() + "/receipt_keys_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  auto k1 = ReceiptKeys::LoadOrCreate(dir);
  ASSERT_TRUE(k1.ok()) << k1.status().ToString();
  std::string old = k1->Sign(Sample());
  auto next = ReceiptKeys::Rotate(dir);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 2u);
  auto k2 = ReceiptKeys::Load(dir);
  ASSERT_TRUE(k2.ok());
  EXPECT_EQ(k2->current_id(), 2u);
  EXPECT_TRUE(k2->Verify(old).ok());
  std::string fresh = k2->Sign(Sample());
  EXPECT_EQ(fresh.substr(0, 5), "r1.2.");
  EXPECT_TRUE(k2->Verify(fresh).ok());
  EXPECT_EQ(
      std::filesystem::status(dir + "/receipt-1.key").permissions() & std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::remove_all(dir);
}

TEST(ReceiptTest, Base64UrlRoundTrip) {
  for (std::string s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = Base64UrlDecode(Base64UrlEncode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
  EXPECT_FALSE(Base64UrlDecode("a").ok());
  EXPECT_FALSE(Base64UrlDecode("ab+/").ok());
}

}  // namespace
}  // namespace oj
