#include "fcgi_app/admission.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

SysTime T(const char* s) { return *ParseDbTime(s); }

UploadTarget Good() {
  UploadTarget t;
  t.token_found = t.token_enabled = t.course_found = true;
  t.student_id = 7;
  t.student_course_id = t.course_id = 1;
  ModuleRow m;
  m.id = 3;
  m.code = "PA1";
  m.opens_at = T("2024-10-01 00:00:00");
  m.deadline = T("2024-10-10 00:00:00");
  m.late_until = T("2024-10-11 00:00:00");
  m.size_limit_bytes = 1000;
  t.module = m;
  return t;
}

TEST(AdmissionTest, TargetTable) {
  SetDisplayTimeZone("UTC");
  struct Case {
    const char* what;
    UploadTarget target;
    const char* now;
    uint64_t size;
    int status;  // 0 = accepted
    std::string line;
    bool late;
  };
  auto with = [](auto f) {
    UploadTarget t = Good();
    f(t);
    return t;
  };
  std::vector<Case> cases = {
      {"in time", Good(), "2024-10-05 00:00:00", 10, 0, "", false},
      {"late window", Good(), "2024-10-10 00:00:01", 10, 0, "", true},
      {"unknown token", with([](UploadTarget& t) { t.token_found = false; }), "2024-10-05 00:00:00",
       10, 403, "[FAIL ✗] Invalid token!", false},
      {"unknown token, unknown module: still 403", with([](UploadTarget& t) {
         t.token_found = false;
         t.module.reset();
         t.course_found = false;
       }),
       "2024-10-05 00:00:00", 10, 403, "[FAIL ✗] Invalid token!", false},
      {"disabled token", with([](UploadTarget& t) { t.token_enabled = false; }),
       "2024-10-05 00:00:00", 10, 403, "[FAIL ✗] Invalid token!", false},
      {"token of another course", with([](UploadTarget& t) { t.student_course_id = 2; }),
       "2024-10-05 00:00:00", 10, 403, "[FAIL ✗] Invalid token!", false},
      {"valid token, unknown course: the unknown token's 403", with([](UploadTarget& t) {
         t.course_found = false;
         t.course_id = 0;
         t.module.reset();
       }),
       "2024-10-05 00:00:00", 10, 403, "[FAIL ✗] Invalid token!", false},
      {"unknown module", with([](UploadTarget& t) { t.module.reset(); }), "2024-10-05 00:00:00", 10,
       404, "[FAIL ✗] Unknown course or module!", false},
      {"not open", Good(), "2024-09-30 23:59:59", 10, 403,
       "[FAIL ✗] PA1 opens at 2024-10-01 00:00:00", false},
      {"after late window", Good(), "2024-10-11 00:00:01", 10, 403,
       "[FAIL ✗] PA1 is closed since 2024-10-11 00:00:00", false},
      {"no late window", with([](UploadTarget& t) { t.module->late_until.reset(); }),
       "2024-10-10 00:00:01", 10, 403, "[FAIL ✗] PA1 is closed since 2024-10-10 00:00:00", false},
      {"closed by staff", with([](UploadTarget& t) {
         t.module->closed = true;
         t.module->closed_at = T("2024-10-03 08:00:00");
       }),
       "2024-10-05 00:00:00", 10, 403, "[FAIL ✗] PA1 is closed since 2024-10-03 08:00:00", false},
      {"over module limit", Good(), "2024-10-05 00:00:00", 1001, 413, "[FAIL ✗] File is too large!",
       false},
  };
  for (const Case& c : cases) {
    TargetDecision d = DecideTarget(c.target, T(c.now), c.size);
    if (c.status == 0) {
      EXPECT_FALSE(d.reject.has_value()) << c.what;
      EXPECT_EQ(d.late, c.late) << c.what;
    } else {
      ASSERT_TRUE(d.reject.has_value()) << c.what;
      EXPECT_EQ(d.reject->status, c.status) << c.what;
      EXPECT_EQ(d.reject->body, c.line + "\n") << c.what;
    }
  }
}

TEST(AdmissionTest, TokenRateRule) {
  UploadConfig cfg;
  cfg.token_limit = 3;
  cfg.token_window_s = 600;
  SysTime now = T("2024-10-05 00:10:00");
  EXPECT_FALSE(DecideTokenRate({2, T("2024-10-05 00:00:00")}, now, cfg).has_value());
  auto r = DecideTokenRate({3, T("2024-10-05 00:05:00")}, now, cfg);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->body, "[FAIL ✗] Too many requests, retry in 301 s\n");
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].second, "301");
}

TEST(AdmissionTest, Lines) {
  SetDisplayTimeZone("UTC");
  EXPECT_EQ(Received("AbCdEfGhIjKlMnOp", T("2024-10-05 01:02:03.5"), false).body,
            "[SUCC ✓] Received AbCdEfGhIjKlMnOp at 2024-10-05 01:02:03\n");
  EXPECT_EQ(Received("AbCdEfGhIjKlMnOp", T("2024-10-05 01:02:03"), true).body,
            "[SUCC ✓] Received AbCdEfGhIjKlMnOp at 2024-10-05 01:02:03 (late)\n");
  EXPECT_EQ(ServerBusy(10).body, "[FAIL ✗] Server busy, retry in 10 s\n");
  EXPECT_EQ(MissingField("file").body, "[FAIL ✗] Missing field: file\n");
  EXPECT_EQ(Malformed("no boundary").status, 400);
  EXPECT_EQ(KeyReused().status, 422);
  EXPECT_EQ(KeyReused().body, "[FAIL ✗] Idempotency-Key reused with a different file\n");
}

TEST(AdmissionTest, KeyedRetryTable) {
  const std::string sha(64, 'a'), other(64, 'b');
  KeyedUpload earlier;
  earlier.module_id = 3;
  earlier.sha256 = sha;
  earlier.submission_id = "AbCdEfGhIjKlMnOp";
  struct Case {
    const char* what;
    std::optional<KeyedUpload> earlier;
    uint32_t module_id;
    std::string sha256;
    KeyedRetry want;
  } cases[] = {
      {"key not used in the window", std::nullopt, 3, sha, KeyedRetry::kNew},
      {"same module, same bytes: a retry", earlier, 3, sha, KeyedRetry::kReplay},
      {"same module, other bytes", earlier, 3, other, KeyedRetry::kReused},
      {"other module, same bytes", earlier, 4, sha, KeyedRetry::kReused},
      {"other module, other bytes", earlier, 4, other, KeyedRetry::kReused},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DecideKeyedRetry(c.earlier, c.module_id, c.sha256), c.want) << c.what;
  }
}

TEST(AdmissionTest, IdentityBeforeWindow) {
  UploadTarget t = Good();
  EXPECT_FALSE(DecideIdentity(t));
  t.module->closed = true;  // closed is not identity: a keyed retry is still answered
  EXPECT_FALSE(DecideIdentity(t));
  t.token_enabled = false;
  ASSERT_TRUE(DecideIdentity(t));
  EXPECT_EQ(DecideIdentity(t)->status, 403);
}

}  // namespace
}  // namespace oj
