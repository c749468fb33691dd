// Blocking HTTP with a hard timeout (libcurl): the health probe and webhook posts.
// Each call is bounded in time (timeout) and in memory (the response body is kept
// only up to kMaxBody bytes).
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace oj::watchdog {

struct HttpResult {
  long status = 0;  // HTTP status; 0 when no answer
  std::chrono::milliseconds elapsed{0};
  std::string body;  // first kMaxBody bytes
};

inline constexpr size_t kMaxBody = 4096;

// Calls curl_global_init once; call from main before starting threads.
void HttpGlobalInit();

// GET url. Not ok (kUnavailable) when there is no complete answer within timeout.
Result<HttpResult> HttpGet(const std::string& url, std::chrono::milliseconds timeout);
// POST body as application/json; same contract.
Result<HttpResult> HttpPostJson(const std::string& url, const std::string& body,
                                std::chrono::milliseconds timeout);

}  // namespace oj::watchdog
