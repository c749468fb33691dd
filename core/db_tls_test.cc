#include "core/db_tls.h"

#include <gtest/gtest.h>

#include "core/replica.h"

namespace oj {
namespace {

DatabaseConfig Tls(const char* mode, const char* ca = "", const char* cert = "",
                   const char* key = "") {
  DatabaseConfig c;
  c.tls_mode = mode;
  c.tls_ca = ca;
  c.tls_cert = cert;
  c.tls_key = key;
  return c;
}

TEST(DbTlsTest, ValidCombinations) {
  const DatabaseConfig ok[] = {
      Tls("off"),
      Tls("required"),
      Tls("required", "/ca.pem"),
      Tls("required", "", "/c.pem", "/k.pem"),
      Tls("verify", "/ca.pem"),
      Tls("verify", "/ca.pem", "/c.pem", "/k.pem"),
  };
  for (const auto& c : ok)
    EXPECT_TRUE(ValidateDatabaseTls(c).ok()) << c.tls_mode << " " << c.tls_ca;
}

TEST(DbTlsTest, InvalidCombinationsNameTheKey) {
  struct Case {
    DatabaseConfig c;
    const char* says;
  };
  const Case bad[] = {
      {Tls("on"), "must be off, required or verify"},
      {Tls("REQUIRED"), "must be off, required or verify"},
      {Tls("off", "/ca.pem"), "tls_mode' is off"},
      {Tls("off", "", "/c.pem", "/k.pem"), "tls_mode' is off"},
      {Tls("verify"), "needs 'database.tls_ca'"},
      {Tls("required", "", "/c.pem"), "go together"},
      {Tls("verify", "/ca.pem", "", "/k.pem"), "go together"},
  };
  for (const auto& b : bad) {
    Status s = ValidateDatabaseTls(b.c);
    EXPECT_FALSE(s.ok()) << b.says;
    EXPECT_NE(s.message().find(b.says), std::string::npos) << s.message();
  }
}

TEST(DbTlsTest, OptionsFollowTheMode) {
  EXPECT_FALSE(TlsOptionsFor(Tls("off")).enabled);
  auto r = TlsOptionsFor(Tls("required", "/ca.pem"));
  EXPECT_TRUE(r.enabled);
  EXPECT_FALSE(r.verify_server);
  EXPECT_EQ(r.ca, "/ca.pem");
  auto v = TlsOptionsFor(Tls("verify", "/ca.pem", "/c.pem", "/k.pem"));
  EXPECT_TRUE(v.enabled);
  EXPECT_TRUE(v.verify_server);
  EXPECT_EQ(v.cert, "/c.pem");
  EXPECT_EQ(v.key, "/k.pem");
}

TEST(DbTlsTest, ReplicaUsesThePrimarysTlsSettings) {
  DatabaseConfig p = Tls("verify", "/ca.pem");
  p.replica_host = "198.18.9.9";
  auto r = ReplicaDatabaseConfig(p);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(TlsOptionsFor(*r).verify_server);
  EXPECT_EQ(TlsOptionsFor(*r).ca, "/ca.pem");
}

}  // namespace
}  // namespace oj
