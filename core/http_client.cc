#include "core/http_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <memory>

namespace oj {
namespace {

struct CurlCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct MimeFree {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlCleanup>;
using MimePtr = std::unique_ptr<curl_mime, MimeFree>;
using SlistPtr = std::unique_ptr<curl_slist, SlistFree>;

// What the callbacks see of one call.
struct Transfer {
  CURL* curl = nullptr;
  const HttpOptions* options = nullptr;
  const BodySink* sink = nullptr;
  HttpResponse response;
  size_t header_bytes = 0;
  Status stopped;  // why a callback stopped the transfer
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a 100): start afresh
    t->response.status_line = std::string(Trim(line));
    t->response.headers.clear();
    t->header_bytes = t->response.status_line.size();
    return len;
  }
  std::string name, value;
  if (t->header_bytes + len <= t->options->max_header_bytes &&
      ParseHeaderLine(line, &name, &value)) {
    t->header_bytes += len;
    t->response.headers.emplace_back(std::move(name), std::move(value));
  }
  return len;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  HttpResponse& r = t->response;
  r.body_bytes += len;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink != nullptr && status >= 200 && status < 300) {
    if (r.body_bytes > t->sink->max_bytes) {
      t->stopped = Status::ResourceExhausted("response body over " +
                                             std::to_string(t->sink->max_bytes) + " bytes");
      return CURL_WRITEFUNC_ERROR;
    }
    Status s = t->sink->write(std::string_view(data, len));
    if (!s.ok()) {
      t->stopped = std::move(s);
      return CURL_WRITEFUNC_ERROR;
    }
    return len;
  }
  size_t max = t->options->max_kept_body;
  if (r.body.size() < max) r.body.append(data, std::min(len, max - r.body.size()));
  return len;
}

// One call: GET, or POST of json or form when given.
Result<HttpResponse> Perform(const std::string& url, const HttpOptions& o, const BodySink* sink,
                             const std::string* json, const std::vector<FormPart>* form) {
  CurlPtr curl(curl_easy_init());
  if (!curl) return Status::Internal("curl_easy_init failed");
  CURL* c = curl.get();
  Transfer t;
  t.curl = c;
  t.options = &o;
  t.sink = sink;
  char error[CURL_ERROR_SIZE] = "";
  auto connect = o.connect_timeout.count() > 0 ? o.connect_timeout : o.timeout;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  if (!o.proxy_from_env) curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);

  SlistPtr headers(curl_slist_append(nullptr, "Expect:"));  // never wait for 100-continue
  if (!headers) return Status::Internal("curl_slist_append failed");
  if (json != nullptr) {
    // Appends to the list it is given (the head stays ours), or fails leaving it whole.
    if (!curl_slist_append(headers.get(), "Content-Type: application/json; charset=utf-8")) {
      return Status::Internal("curl_slist_append failed");
    }
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json->size()));
  }
  MimePtr mime;
  if (form != nullptr) {
    mime.reset(curl_mime_init(c));
    if (!mime) return Status::Internal("curl_mime_init failed");
    for (const FormPart& p : *form) {
      curl_mimepart* part = curl_mime_addpart(mime.get());
      curl_mime_name(part, p.name.c_str());
      curl_mime_data(part, p.data.data(), p.data.size());
      if (!p.filename.empty()) {
        curl_mime_filename(part, p.filename.c_str());
        curl_mime_type(
            part, p.content_type.empty() ? "application/octet-stream" : p.content_type.c_str());
      }
    }
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime.get());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  auto start = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(c);
  t.response.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (!t.stopped.ok()) return t.stopped;
  if (rc != CURLE_OK) {
    std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
    return Status::Unavailable(why + " after " + std::to_string(t.response.elapsed.count()) +
                               " ms");
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
  return std::move(t.response);
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return std::nullopt;
}

bool ParseHeaderLine(std::string_view line, std::string* name, std::string* value) {
  if (line.rfind("HTTP/", 0) == 0) return false;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view n = line.substr(0, colon);
  if (n.find_first_of(" \t\r\n") != std::string_view::npos) return false;
  *name = std::string(n);
  *value = std::string(Trim(line.substr(colon + 1)));
  return true;
}

void HttpGlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }

Result<HttpResponse> HttpGet(const std::string& url, const HttpOptions& o) {
  return Perform(url, o, nullptr, nullptr, nullptr);
}

Result<HttpResponse> HttpGetToSink(const std::string& url, const HttpOptions& o,
                                   const BodySink& sink) {
  return Perform(url, o, &sink, nullptr, nullptr);
}

Result<HttpResponse> HttpPostJson(const std::string& url, const std::string& body,
                                  const HttpOptions& o) {
  return Perform(url, o, nullptr, &body, nullptr);
}

Result<HttpResponse> HttpPostForm(const std::string& url, const std::vector<FormPart>& parts,
                                  const HttpOptions& o) {
  return Perform(url, o, nullptr, nullptr, &parts);
}

}  // namespace oj
