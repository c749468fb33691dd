// The request and response the handlers see, independent of libfcgi so handlers
// can be driven by tests and the fuzzer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oj {

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to n bytes; returns 0 at the end of the body, -1 on error.
  virtual long Read(char* buf, size_t n) = 0;
};

struct Request {
  std::string method;
  std::string uri;  // REQUEST_URI, with query string
  std::string content_type;
  uint64_t content_length = 0;
  std::string remote_addr;
  std::string idempotency_key;  // the Idempotency-Key header as sent ("" when absent)
  std::string if_none_match;
  BodyReader* body = nullptr;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The one-line text answers of docs/contract.md §3.
  static Response Line(int status, std::string line) {
    Response r;
    r.status = status;
    r.body = std::move(line) + "\n";
    return r;
  }
};

std::string StatusReason(int status);
// Serializes as CGI response headers + body ("Status: 200 OK\r\n...").
std::string SerializeResponse(const Response& r);

// A response as JSON, to record it (an upload's answer under its Idempotency-Key) and
// give it again byte for byte. Decode returns nullopt for anything Encode did not write.
std::string EncodeResponse(const Response& r);
std::optional<Response> DecodeResponse(std::string_view encoded);

}  // namespace oj
