#include "fcgi_app/router.h"

#include "core/ids.h"

namespace oj {

Route RouteRequest(std::string_view method, std::string_view uri) {
  Route r;
  size_t q = uri.find('?');
  std::string_view path = uri.substr(0, q);
  bool get = method == "GET" || method == "HEAD";
  if (path == "/upload") {
    r.kind = method == "POST" ? Route::Kind::kUpload : Route::Kind::kMethodNotAllowed;
    return r;
  }
  if (path == "/healthz") {
    r.kind = get ? Route::Kind::kHealth : Route::Kind::kMethodNotAllowed;
    return r;
  }
  if (path == "/metrics") {
    r.kind = get ? Route::Kind::kMetrics : Route::Kind::kMethodNotAllowed;
    return r;
  }
  constexpr std::string_view kPrefix = "/oj/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return r;
  // Every malformed /oj/ path gets the results route's one 404 page, with empty
  // course/module/token, so no part of a URL can be told apart from another.
  r.kind = Route::Kind::kResultsPage;
  std::string_view rest = path.substr(kPrefix.size());
  size_t s1 = rest.find('/');
  if (s1 == std::string_view::npos) return r;
  size_t s2 = rest.find('/', s1 + 1);
  if (s2 == std::string_view::npos) return r;
  std::string_view course = rest.substr(0, s1);
  std::string_view module = rest.substr(s1 + 1, s2 - s1 - 1);
  std::string_view token = rest.substr(s2 + 1);
  bool json = false;
  if (token.size() > 5 && token.substr(token.size() - 5) == ".json") {
    json = true;
    token.remove_suffix(5);
  }
  if (json) r.kind = Route::Kind::kResultsJson;
  if (!IsValidCode(course) || !IsValidCode(module) || !IsValidToken(token)) return r;
  if (!get) {
    r.kind = Route::Kind::kMethodNotAllowed;
    return r;
  }
  r.kind = json ? Route::Kind::kResultsJson : Route::Kind::kResultsPage;
  r.course = course;
  r.module = module;
  r.token = token;
  return r;
}

}  // namespace oj
