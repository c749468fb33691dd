// The routes the app answers, each a function of the shared context and the request.
#pragma once

#include "fcgi_app/app_context.h"
#include "fcgi_app/http.h"
#include "fcgi_app/router.h"

namespace oj {

// GET /healthz: 200 "ok" when the database answers, else 503 with the reason.
Response HandleHealth(AppContext& ctx);
// GET /metrics: Prometheus text format.
Response HandleMetrics(AppContext& ctx);
// GET /oj/<course>/<module>/<token>[.json] (results.cc).
Response HandleResults(AppContext& ctx, const Request& req, const Route& route);

}  // namespace oj
