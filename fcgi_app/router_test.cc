#include "fcgi_app/router.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

using K = Route::Kind;

TEST(RouterTest, Table) {
  struct Case {
    const char* method;
    const char* uri;
    K kind;
    const char* token;
  } cases[] = {
      {"POST", "/upload", K::kUpload, ""},
      {"GET", "/upload", K::kMethodNotAllowed, ""},
      {"GET", "/healthz", K::kHealth, ""},
      {"GET", "/metrics?x=1", K::kMetrics, ""},
      {"GET", "/oj/ICS2024/PA1/AbCd1234", K::kResultsPage, "AbCd1234"},
      {"HEAD", "/oj/ICS2024/PA1/AbCd1234?t=1", K::kResultsPage, "AbCd1234"},
      {"GET", "/oj/ICS2024/PA1/AbCd1234.json", K::kResultsJson, "AbCd1234"},
      {"GET", "/oj/ICS2024/PA1/AbCd12", K::kResultsPage, ""},
      {"GET", "/oj/ICS2024/PA1/AbCd1234/extra", K::kResultsPage, ""},
      {"GET", "/oj/ICS2024/../AbCd1234", K::kResultsPage, ""},
      {"GET", "/oj/ICS2024", K::kResultsPage, ""},
      {"GET", "/oj/%2e%2e/PA1/AbCd1234", K::kResultsPage, ""},
      {"GET", "/oj/ICS2024/PA1/AbCd12.json", K::kResultsJson, ""},
      {"POST", "/oj/ICS2024/PA1/AbCd1234", K::kMethodNotAllowed, ""},
      {"GET", "/", K::kNotFound, ""},
      {"GET", "/etc/passwd", K::kNotFound, ""},
  };
  for (const Case& c : cases) {
    Route r = RouteRequest(c.method, c.uri);
    EXPECT_EQ(r.kind, c.kind) << c.method << " " << c.uri;
    EXPECT_EQ(r.token, c.token) << c.uri;
  }
}

}  // namespace
}  // namespace oj
