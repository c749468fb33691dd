#include <sstream>

#include "fcgi_app/handlers.h"

namespace oj {

Response HandleMetrics(AppContext& ctx) {
  std::ostringstream o;
  Scoreboard* sb = ctx.scoreboard;
  o << "# HELP oj_http_requests_total Requests answered by the app, by route and status.\n"
       "# TYPE oj_http_requests_total counter\n";
  for (int r = 0; r < kRouteCount; ++r) {
    for (int s = 0; s < kStatusCount; ++s) {
      uint64_t v = sb->routes[r].by_status[s].load(std::memory_order_relaxed);
      if (v == 0) continue;
      o << "oj_http_requests_total{route=\"" << RouteName(r) << "\",status=\"" << StatusAt(s)
        << "\"} " << v << "\n";
    }
  }
  o << "# HELP oj_http_request_duration_seconds Time the app spent on a request.\n"
       "# TYPE oj_http_request_duration_seconds histogram\n";
  for (int r = 0; r < kRouteCount; ++r) {
    uint64_t cum = 0;
    for (int b = 0; b <= kDurationBuckets; ++b) {
      cum += sb->routes[r].duration_bucket[b].load(std::memory_order_relaxed);
      o << "oj_http_request_duration_seconds_bucket{route=\"" << RouteName(r) << "\",le=\"";
      if (b == kDurationBuckets) {
        o << "+Inf";
      } else {
        o << kDurationBounds[b];
      }
      o << "\"} " << cum << "\n";
    }
    o << "oj_http_request_duration_seconds_sum{route=\"" << RouteName(r) << "\"} "
      << sb->routes[r].duration_sum_us.load() / 1e6 << "\n";
    o << "oj_http_request_duration_seconds_count{route=\"" << RouteName(r) << "\"} " << cum
      << "\n";
  }
  o << "# HELP oj_upload_bytes_total Bytes of submissions stored.\n"
       "# TYPE oj_upload_bytes_total counter\n"
    << "oj_upload_bytes_total " << sb->upload_bytes.load() << "\n"
    << "# HELP oj_uploads_stored_total Submissions stored and acknowledged.\n"
       "# TYPE oj_uploads_stored_total counter\n"
    << "oj_uploads_stored_total " << sb->uploads_stored.load() << "\n"
    << "# HELP oj_worker_restarts_total FastCGI workers respawned after exiting or dying.\n"
       "# TYPE oj_worker_restarts_total counter\n"
    << "oj_worker_restarts_total " << sb->worker_restarts.load() << "\n"
    << "# HELP oj_workers_killed_stuck_total Workers killed for exceeding the request timeout.\n"
       "# TYPE oj_workers_killed_stuck_total counter\n"
    << "oj_workers_killed_stuck_total " << sb->workers_killed_stuck.load() << "\n";
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = o.str();
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace oj
