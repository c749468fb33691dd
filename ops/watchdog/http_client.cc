#include "ops/watchdog/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace oj::watchdog {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  if (body->size() < kMaxBody) body->append(data, std::min(len, kMaxBody - body->size()));
  return len;
}

Result<HttpResult> Perform(const std::string& url, const std::string* post_body,
                           std::chrono::milliseconds timeout) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Internal("curl_easy_init failed");
  HttpResult r;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "oj-watchdog");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  if (post_body) {
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  }
  auto start = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(c);
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (rc != CURLE_OK) {
    return Status::Unavailable(std::string(curl_easy_strerror(rc)) + " after " +
                               std::to_string(r.elapsed.count()) + " ms");
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

}  // namespace

void HttpGlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }

Result<HttpResult> HttpGet(const std::string& url, std::chrono::milliseconds timeout) {
  return Perform(url, nullptr, timeout);
}

Result<HttpResult> HttpPostJson(const std::string& url, const std::string& body,
                                std::chrono::milliseconds timeout) {
  return Perform(url, &body, timeout);
}

}  // namespace oj::watchdog
