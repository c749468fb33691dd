// Blocking HTTP client on libcurl, shared by every program that talks HTTP: the
// watchdog's health probe, stub_status read and webhook posts, its canary upload
// (multipart, like `curl -F`), and the judge runner's archive fetch from the intake.
//
// Every call is bounded: in time (HttpOptions::timeout, connect included), in memory
// (at most max_kept_body bytes of the body and max_header_bytes of headers are kept;
// a streamed body goes to a BodySink and is never held whole), and in size (a sink's
// max_bytes). Redirects are not followed (a 3xx is an answer), only http and https
// are spoken, no signals are used (safe in threads), the connection is not reused,
// chunked and fixed-length bodies are both handled by libcurl, and a body cut short
// of its Content-Length is a failed call, not a short answer.
//
// Errors: kUnavailable when there is no complete answer (resolve, connect, timeout,
// reset, truncated body); kResourceExhausted when a sink's max_bytes is exceeded; a
// sink's own error as the sink returned it; kInternal when libcurl cannot start.
// Any HTTP status, 4xx and 5xx included, is an answer: callers judge it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace oj {

struct HttpOptions {
  std::chrono::milliseconds timeout{10'000};     // the whole call
  std::chrono::milliseconds connect_timeout{0};  // 0: timeout
  std::string user_agent = "oj";
  size_t max_kept_body = 4096;         // bytes of the body kept in HttpResponse::body
  size_t max_header_bytes = 16 << 10;  // header bytes kept; the rest are dropped
  bool proxy_from_env = false;         // honour http_proxy etc.; off: connect directly
};

struct HttpResponse {
  long status = 0;          // e.g. 200
  std::string status_line;  // "HTTP/1.1 200 OK", without CRLF
  // In arrival order, names as sent; of the final response only (not of a 100).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;         // first max_kept_body bytes (unless streamed to a sink)
  uint64_t body_bytes = 0;  // bytes of the body received, kept or not
  std::chrono::milliseconds elapsed{0};

  // The first header of that name (case-insensitive), trimmed.
  std::optional<std::string> Header(std::string_view name) const;
};

// Where a successful (2xx) body goes, piece by piece, instead of HttpResponse::body;
// a body of any other status is kept in HttpResponse::body as usual (the error text).
struct BodySink {
  uint64_t max_bytes = 0;  // more than this: the call stops with kResourceExhausted
  // A non-ok Status stops the call and is returned.
  std::function<Status(std::string_view)> write{};
};

// One part of a multipart/form-data body. Without filename a plain field; with it a
// file part (Content-Type content_type, application/octet-stream when empty).
struct FormPart {
  std::string name{};
  std::string_view data{};  // copied by the call; need not outlive it
  std::string filename{};
  std::string content_type{};
};

// Calls curl_global_init once; call from main before starting threads.
void HttpGlobalInit();

Result<HttpResponse> HttpGet(const std::string& url, const HttpOptions& o);
// GET with the 2xx body streamed to sink.
Result<HttpResponse> HttpGetToSink(const std::string& url, const HttpOptions& o,
                                   const BodySink& sink);
// POST body as application/json; charset=utf-8.
Result<HttpResponse> HttpPostJson(const std::string& url, const std::string& body,
                                  const HttpOptions& o);
// POST parts as multipart/form-data, without waiting for 100-continue.
Result<HttpResponse> HttpPostForm(const std::string& url, const std::vector<FormPart>& parts,
                                  const HttpOptions& o);

// Pure: "name: value" of one header line (CRLF allowed) into *name, *value (trimmed).
// False for a status line, an empty line or a line without a colon. Exposed for tests.
bool ParseHeaderLine(std::string_view line, std::string* name, std::string* value);

}  // namespace oj
