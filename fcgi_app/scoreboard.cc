#include "fcgi_app/scoreboard.h"

#include <sys/mman.h>

#include <chrono>
#include <cstring>
#include <new>
#include <stdexcept>

namespace oj {
namespace {
const char* kRouteNames[kRouteCount] = {"upload",  "results_page", "results_json",
                                        "healthz", "metrics",      "other"};
const int kStatuses[kStatusCount] = {200, 304, 400, 403, 404, 405, 413, 422, 429, 500, 503};
}  // namespace

const char* RouteName(int i) { return kRouteNames[(i >= 0 && i < kRouteCount) ? i : 5]; }

int StatusIndex(int status) {
  for (int i = 0; i < kStatusCount; ++i) {
    if (kStatuses[i] == status) return i;
  }
  return StatusIndex(500);  // an unexpected status is a bug: counted as 500
}

int StatusAt(int index) { return kStatuses[index]; }

Scoreboard* CreateScoreboard() {
  void* p =
      mmap(nullptr, sizeof(Scoreboard), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap scoreboard failed");
  return new (p) Scoreboard();
}

void RecordRequest(Scoreboard* sb, int route, int status, double seconds) {
  RouteCounters& rc = sb->routes[route];
  rc.by_status[StatusIndex(status)].fetch_add(1, std::memory_order_relaxed);
  int b = 0;
  while (b < kDurationBuckets && seconds > kDurationBounds[b]) ++b;
  rc.duration_bucket[b].fetch_add(1, std::memory_order_relaxed);
  rc.duration_sum_us.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace oj
