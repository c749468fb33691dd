#include "fcgi_app/handlers.h"

namespace oj {

Response HandleHealth(AppContext& ctx) {
  Status s = ctx.db->Ping();
  if (!s.ok()) {
    Response r = Response::Line(503, "database unreachable: " + s.message());
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  Response r = Response::Line(200, "ok");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace oj
