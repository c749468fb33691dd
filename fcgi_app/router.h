// Routing: a pure function from method and URI to what the app should do.
#pragma once

#include <string>
#include <string_view>

namespace oj {

struct Route {
  enum class Kind {
    kUpload,
    kResultsPage,
    kResultsJson,
    kHealth,
    kMetrics,
    kNotFound,
    kMethodNotAllowed
  };
  Kind kind = Kind::kNotFound;
  // Results routes: validated course and module codes and token, or all three
  // empty for a malformed /oj/ path (which must get the same 404 as an unknown one).
  std::string course;
  std::string module;
  std::string token;
};

Route RouteRequest(std::string_view method, std::string_view uri);

}  // namespace oj
