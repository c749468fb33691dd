// GET /oj/<course>/<module>/<token>[.json]: the results page and its JSON.
// nginx's microcache sits in front (nginx/nginx.conf.tmpl): this handler runs about
// once per second per URI however many students refresh.
#include <fstream>
#include <sstream>

#include "core/results_store.h"
#include "core/sha256.h"
#include "fcgi_app/handlers.h"
#include "fcgi_app/results_render.h"

namespace oj {
namespace {

// A short hash of src/oj.js and src/oj.css, so a deployed change is not hidden behind the
// assets' long cache lifetime. Read once per worker.
const std::string& AssetVersion(const Config& cfg) {
  static const std::string version = [&] {
    std::ostringstream s;
    for (const char* name : {"/oj.js", "/oj.css"}) {
      std::ifstream f(cfg.paths.assets_dir + name, std::ios::binary);
      if (!f) return std::string();
      s << f.rdbuf();
    }
    return Sha256Hex(s.str()).substr(0, 10);
  }();
  return version;
}

// The page loads only its own assets (src/: Bootstrap, oj.css, oj.js) and its JSON; no
// inline script or style, no frames, no forms. A log line that slipped past escaping could
// still run nothing. Bootstrap's CSS draws a few icons from data: URLs.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void AddPolicyHeaders(Response& r) {
  r.headers.emplace_back("Content-Security-Policy", kPagePolicy);
}

// Browsers revalidate every time (cheap: a 304 from nginx's cache for the JSON);
// nginx keeps the answer for the microcache lifetime (X-Accel-Expires, which nginx
// does not pass on).
void AddCacheHeaders(Response& r, const Config& cfg) {
  r.headers.emplace_back("Cache-Control", "no-cache");
  if (cfg.rate.microcache_s > 0) {
    r.headers.emplace_back("X-Accel-Expires", std::to_string(cfg.rate.microcache_s));
  }
}

Response NotFound(bool json, const Config& cfg) {
  Response r;
  r.status = 404;
  if (json) {
    r.content_type = "application/json";
    r.body = NotFoundJson();
  } else {
    r.content_type = "text/html; charset=utf-8";
    r.body = NotFoundPage();
  }
  AddPolicyHeaders(r);
  AddCacheHeaders(r, cfg);
  return r;
}

}  // namespace

Response HandleResults(AppContext& ctx, const Request& req, const Route& route) {
  const Config& cfg = *ctx.config;
  bool json = route.kind == Route::Kind::kResultsJson;
  if (route.token.empty()) return NotFound(json, cfg);
  Database& reads = ctx.reads ? ctx.reads->ForRead() : *ctx.db;
  Result<ResultsPageData> page = LoadResults(reads, route.token, route.course, route.module);
  if (!page.ok() && &reads != ctx.db && page.status().code() == Status::Code::kUnavailable) {
    page = LoadResults(*ctx.db, route.token, route.course, route.module);  // replica just died
  }
  if (!page.ok()) {
    if (page.status().code() == Status::Code::kNotFound) return NotFound(json, cfg);
    uint32_t retry = cfg.upload.retry_after_s;
    Response r;
    r.status = 503;
    if (json) {
      r.content_type = "application/json";
      r.body = "{\"error\":\"server busy\",\"retry_after\":" + std::to_string(retry) + "}\n";
    } else {
      r.content_type = "text/html; charset=utf-8";
      r.body = BusyPage(retry);
    }
    r.headers.emplace_back("Retry-After", std::to_string(retry));
    r.headers.emplace_back("Cache-Control", "no-store");
    AddPolicyHeaders(r);
    return r;
  }
  SysTime now = std::chrono::system_clock::now();
  Response r;
  AddPolicyHeaders(r);
  if (json) {
    ResultsJson j = RenderResultsJson(*page, now);
    r.content_type = "application/json";
    r.headers.emplace_back("ETag", j.etag);
    AddCacheHeaders(r, cfg);
    if (!req.if_none_match.empty() && EtagMatches(req.if_none_match, j.etag)) {
      r.status = 304;
      return r;
    }
    r.body = std::move(j.body);
    return r;
  }
  r.content_type = "text/html; charset=utf-8";
  r.body = RenderResultsPage(*page, now, {route.token, AssetVersion(cfg)});
  AddCacheHeaders(r, cfg);
  return r;
}

}  // namespace oj
