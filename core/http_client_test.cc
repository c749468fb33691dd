#include "core/http_client.h"

#include <gtest/gtest.h>

#include "core/http_test_server.h"

namespace oj {
namespace {

using http_test::CannedServer;
using std::chrono::milliseconds;

HttpOptions Quick() { return {.timeout = milliseconds(3000), .user_agent = "oj-test"}; }

// Collects a streamed body.
struct Collected {
  std::string bytes;
  BodySink Sink(uint64_t max) {
    return {.max_bytes = max, .write = [this](std::string_view p) {
              bytes.append(p);
              return Status::Ok();
            }};
  }
};

TEST(HttpClientTest, ParsesHeaderLines) {
  struct Case {
    const char* line;
    bool ok;
    const char* name;
    const char* value;
  };
  const Case cases[] = {
      {"Content-Length: 12\r\n", true, "Content-Length", "12"},
      {"X-OJ-Queue-Position:\t 3 \r\n", true, "X-OJ-Queue-Position", "3"},
      {"Location: http://a:1/b\r\n", true, "Location", "http://a:1/b"},
      {"Empty:\r\n", true, "Empty", ""},
      {"HTTP/1.1 200 OK\r\n", false, "", ""},
      {"\r\n", false, "", ""},
      {"no colon\r\n", false, "", ""},
      {": no name\r\n", false, "", ""},
      {"Bad Name: x\r\n", false, "", ""},
  };
  for (const Case& c : cases) {
    std::string name, value;
    EXPECT_EQ(ParseHeaderLine(c.line, &name, &value), c.ok) << c.line;
    if (c.ok) {
      EXPECT_EQ(name, c.name) << c.line;
      EXPECT_EQ(value, c.value) << c.line;
    }
  }
}

TEST(HttpClientTest, AnswerWithStatusHeadersAndBoundedBody) {
  CannedServer s("HTTP/1.1 404 Not Found\r\nContent-Length: 10000\r\nX-OJ-Test:  a b \r\n\r\n" +
                 std::string(10000, 'x'));
  HttpOptions o = Quick();
  o.max_kept_body = 100;
  auto r = HttpGet(s.Url("/p?q=1"), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->status_line, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(r->Header("x-oj-test").value_or("?"), "a b");
  EXPECT_FALSE(r->Header("X-Other"));
  EXPECT_EQ(r->body, std::string(100, 'x'));
  EXPECT_EQ(r->body_bytes, 10000u);
  EXPECT_EQ(s.Request().rfind("GET /p?q=1 HTTP/1.1\r\n", 0), 0u) << s.Request();
  EXPECT_NE(s.Request().find("User-Agent: oj-test\r\n"), std::string::npos);
}

TEST(HttpClientTest, HeadersKeptUpToTheirLimit) {
  std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";
  for (int i = 0; i < 50; ++i) answer += "X-Filler-" + std::to_string(i) + ": abcdefgh\r\n";
  CannedServer s(answer + "\r\n");
  HttpOptions o = Quick();
  o.max_header_bytes = 200;
  auto r = HttpGet(s.Url("/"), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->Header("Content-Length"));
  EXPECT_FALSE(r->Header("X-Filler-49"));
  size_t kept = r->status_line.size();
  for (const auto& [n, v] : r->headers) kept += n.size() + v.size() + 4;
  EXPECT_LE(kept, 200u);
}

TEST(HttpClientTest, ChunkedBodyStreamsToTheSink) {
  CannedServer s(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  Collected got;
  auto r = HttpGetToSink(s.Url("/a"), Quick(), got.Sink(11));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(got.bytes, "hello world");
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->body_bytes, 11u);
}

TEST(HttpClientTest, SinkStopsAtItsLimit) {
  CannedServer s("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'y'));
  Collected got;
  auto r = HttpGetToSink(s.Url("/a"), Quick(), got.Sink(50));
  EXPECT_EQ(r.status().code(), Status::Code::kResourceExhausted) << r.status().ToString();
  EXPECT_LE(got.bytes.size(), 50u);
}

TEST(HttpClientTest, SinkErrorIsTheCallsError) {
  CannedServer s("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd");
  BodySink full{.max_bytes = 100,
                .write = [](std::string_view) { return Status::Unavailable("disk full"); }};
  auto r = HttpGetToSink(s.Url("/a"), Quick(), full);
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(r.status().message(), "disk full");
}

TEST(HttpClientTest, RefusalBodyIsKeptNotSunk) {
  CannedServer s("HTTP/1.1 410 Gone\r\nContent-Length: 13\r\n\r\nlink expired\n");
  Collected got;
  auto r = HttpGetToSink(s.Url("/a"), Quick(), got.Sink(5));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 410);
  EXPECT_EQ(r->body, "link expired\n");
  EXPECT_EQ(got.bytes, "");
}

TEST(HttpClientTest, BodyCutShortIsNoAnswer) {
  CannedServer s("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
  Collected got;
  auto r = HttpGetToSink(s.Url("/a"), Quick(), got.Sink(100));
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
}

TEST(HttpClientTest, RedirectIsAnAnswerNotFollowed) {
  CannedServer s(
      "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x\r\nContent-Length: 0\r\n\r\n");
  auto r = HttpGet(s.Url("/a"), Quick());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->Header("Location").value_or(""), "http://127.0.0.1:1/x");
}

TEST(HttpClientTest, InterimResponseIsSkipped) {
  CannedServer s(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok");
  auto r = HttpGet(s.Url("/a"), Quick());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r->Header("X-A").value_or(""), "1");
  EXPECT_EQ(r->body, "ok");
}

TEST(HttpClientTest, FormPostSendsEveryPart) {
  CannedServer s("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n[SUCC] ok\r\n");
  const std::string archive("BZh9\0\1binary", 12);
  auto r = HttpPostForm(s.Url("/upload"),
                        {{.name = "token", .data = "S6kYLjcm"},
                         {.name = "course", .data = "ICS2024"},
                         {.name = "file", .data = archive, .filename = "canary.tar.bz2"}},
                        Quick());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  const std::string& q = s.Request();
  EXPECT_EQ(q.rfind("POST /upload HTTP/1.1\r\n", 0), 0u) << q;
  EXPECT_NE(q.find("Content-Type: multipart/form-data; boundary="), std::string::npos) << q;
  EXPECT_EQ(q.find("Expect:"), std::string::npos) << q;
  EXPECT_NE(q.find("Content-Disposition: form-data; name=\"token\"\r\n\r\nS6kYLjcm\r\n"),
            std::string::npos)
      << q;
  EXPECT_NE(q.find("name=\"course\"\r\n\r\nICS2024\r\n"), std::string::npos) << q;
  EXPECT_NE(q.find("name=\"file\"; filename=\"canary.tar.bz2\"\r\n"
                   "Content-Type: application/octet-stream\r\n\r\n" +
                   archive + "\r\n"),
            std::string::npos)
      << q;
}

TEST(HttpClientTest, JsonPost) {
  CannedServer s("HTTP/1.1 204 No Content\r\n\r\n");
  auto r = HttpPostJson(s.Url("/hook"), R"({"a":1})", Quick());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 204);
  const std::string& q = s.Request();
  EXPECT_NE(q.find("Content-Type: application/json; charset=utf-8\r\n"), std::string::npos) << q;
  EXPECT_NE(q.find("\r\n\r\n{\"a\":1}"), std::string::npos) << q;
}

TEST(HttpClientTest, SlowAnswerTimesOut) {
  CannedServer s("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", milliseconds(1500));
  HttpOptions o = Quick();
  o.timeout = milliseconds(200);
  auto r = HttpGet(s.Url("/a"), o);
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find(" ms"), std::string::npos);
}

TEST(HttpClientTest, NothingListeningIsUnavailable) {
  auto r = HttpGet("http://127.0.0.1:1/", Quick());  // nothing listens on port 1
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
}

}  // namespace
}  // namespace oj
