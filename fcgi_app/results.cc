#include "fcgi_app/handlers.h"

namespace oj {

Response HandleResults(AppContext&, const Request&, const Route&) {
  return Response::Line(404, "[FAIL ✗] Not implemented yet");
}

}  // namespace oj
