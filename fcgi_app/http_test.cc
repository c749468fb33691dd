#include "fcgi_app/http.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

TEST(HttpTest, EncodedResponseDecodesToTheSameBytes) {
  Response r = Response::Line(200, "[SUCC ✓] Received AbCdEfGhIjKlMnOp at 2026-12-07 10:00:00");
  r.headers.emplace_back("X-OJ-Queue-Position", "3");
  r.headers.emplace_back("X-OJ-Receipt", "v1.abc\"def\\ghi");
  r.headers.emplace_back("X-OJ-Queue-Position", "dup names keep their order");
  auto back = DecodeResponse(EncodeResponse(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(SerializeResponse(*back), SerializeResponse(r));
}

TEST(HttpTest, DecodeRefusesWhatEncodeDidNotWrite) {
  for (const char* bad :
       {"", "null", "[]", "{}", "{\"status\": \"200\"}",
        "{\"status\":200,\"content_type\":\"t\",\"body\":\"b\",\"headers\":[1]}",
        "{\"status\":200,\"content_type\":\"t\",\"body\":\"b\",\"headers\":[[\"a\"]]}",
        "{\"status\":200,\"content_type\":\"t\",\"body\":\"b\""}) {
    EXPECT_FALSE(DecodeResponse(bad)) << bad;
  }
}

TEST(HttpTest, Status422HasItsReason) {
  EXPECT_EQ(StatusReason(422), "Unprocessable Content");
  EXPECT_EQ(
      SerializeResponse(Response::Line(422, "x")).rfind("Status: 422 Unprocessable Content\r\n", 0),
      0u);
}

TEST(HttpTest, EveryAnswerForbidsContentSniffing) {
  for (int status : {200, 304, 403, 500}) {
    Response r = Response::Line(status, "x");
    EXPECT_NE(SerializeResponse(r).find("\r\nX-Content-Type-Options: nosniff\r\n"),
              std::string::npos)
        << status;
  }
}

}  // namespace
}  // namespace oj
