// GET /metrics: the scoreboard's counters (shared memory, no locks) and a database
// snapshot of the queue, the judge's outcomes and the runners (two queries, see
// core/metrics_store.h). When the database does not answer, the scoreboard part is
// still served and oj_database_up is 0.
#include <sstream>

#include "core/metrics_store.h"
#include "domain/submission_status.h"
#include "fcgi_app/handlers.h"

namespace oj {
namespace {

std::string LabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Family(std::ostream& o, const char* name, const char* type, const char* help) {
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

void RenderScoreboard(std::ostream& o, Scoreboard* sb) {
  Family(o, "oj_http_requests_total", "counter",
         "Requests answered by the app, by route and status.");
  for (int r = 0; r < kRouteCount; ++r) {
    for (int s = 0; s < kStatusCount; ++s) {
      uint64_t v = sb->routes[r].by_status[s].load(std::memory_order_relaxed);
      if (v == 0) continue;
      o << "oj_http_requests_total{route=\"" << RouteName(r) << "\",status=\"" << StatusAt(s)
        << "\"} " << v << "\n";
    }
  }
  Family(o, "oj_http_request_duration_seconds", "histogram", "Time the app spent on a request.");
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
    o << "oj_http_request_duration_seconds_count{route=\"" << RouteName(r) << "\"} " << cum << "\n";
  }
  int busy = 0, alive = 0;
  for (const WorkerSlot& s : sb->slots) {
    if (s.pid.load(std::memory_order_relaxed) == 0) continue;
    ++alive;
    if (s.busy_since_ms.load(std::memory_order_relaxed) != 0) ++busy;
  }
  Family(o, "oj_upload_bytes_total", "counter", "Bytes of submissions stored.");
  o << "oj_upload_bytes_total " << sb->upload_bytes.load() << "\n";
  Family(o, "oj_uploads_stored_total", "counter", "Submissions stored and acknowledged.");
  o << "oj_uploads_stored_total " << sb->uploads_stored.load() << "\n";
  Family(o, "oj_worker_restarts_total", "counter",
         "FastCGI workers respawned after exiting or dying.");
  o << "oj_worker_restarts_total " << sb->worker_restarts.load() << "\n";
  Family(o, "oj_worker_crashes_total", "counter",
         "FastCGI workers that died abnormally (a signal or a non-zero exit), since the master "
         "started.");
  o << "oj_worker_crashes_total " << sb->worker_crashes.load() << "\n";
  Family(o, "oj_workers_killed_stuck_total", "counter",
         "Workers killed for exceeding the request timeout.");
  o << "oj_workers_killed_stuck_total " << sb->workers_killed_stuck.load() << "\n";
  Family(o, "oj_fcgi_workers", "gauge", "FastCGI workers in the pool, by activity.");
  o << "oj_fcgi_workers{activity=\"busy\"} " << busy << "\n"
    << "oj_fcgi_workers{activity=\"idle\"} " << alive - busy << "\n";
}

void RenderQueue(std::ostream& o, const QueueSnapshot& q) {
  Family(o, "oj_queue_submissions", "gauge", "Submissions by status.");
  for (const auto& [status, st] : kSubmissionStatusNames) {
    auto it = q.by_status.find(std::string(st));
    o << "oj_queue_submissions{status=\"" << st << "\"} "
      << (it == q.by_status.end() ? 0 : it->second) << "\n";
  }
  Family(o, "oj_queue_oldest_queued_age_seconds", "gauge",
         "Age of the oldest queued submission (0 when none is queued).");
  o << "oj_queue_oldest_queued_age_seconds " << q.oldest_queued_age_s.value_or(0.0) << "\n";
  Family(o, "oj_judge_verdicts_total", "counter", "Judged submissions by verdict.");
  for (const auto& [verdict, v] : q.by_verdict) {
    o << "oj_judge_verdicts_total{verdict=\"" << LabelValue(verdict) << "\"} " << v.count << "\n";
  }
  Family(o, "oj_judge_duration_seconds", "histogram", "Wall time of judged submissions.");
  VerdictStats all;
  for (const auto& [verdict, v] : q.by_verdict) {
    all.count += v.count;
    all.wall_seconds_sum += v.wall_seconds_sum;
    for (int i = 0; i < kJudgeDurationBuckets; ++i) all.bucket[i] += v.bucket[i];
  }
  for (int i = 0; i < kJudgeDurationBuckets; ++i) {
    o << "oj_judge_duration_seconds_bucket{le=\"" << kJudgeDurationBounds[i] << "\"} "
      << all.bucket[i] << "\n";
  }
  o << "oj_judge_duration_seconds_bucket{le=\"+Inf\"} " << all.count << "\n"
    << "oj_judge_duration_seconds_sum " << all.wall_seconds_sum << "\n"
    << "oj_judge_duration_seconds_count " << all.count << "\n";
}

void RenderRunners(std::ostream& o, const std::vector<RunnerRow>& runners) {
  static const char* kStates[] = {"idle", "judging", "held", "disabled"};
  Family(o, "oj_runner_state", "gauge", "1 for each runner's current state.");
  int held = 0;
  for (const RunnerRow& r : runners) {
    if (r.state == "held") ++held;
    for (const char* st : kStates) {
      o << "oj_runner_state{runner=\"" << LabelValue(r.id) << "\",state=\"" << st << "\"} "
        << (r.state == st ? 1 : 0) << "\n";
    }
  }
  Family(o, "oj_runner_heartbeat_age_seconds", "gauge",
         "Seconds since each runner's last heartbeat.");
  for (const RunnerRow& r : runners) {
    o << "oj_runner_heartbeat_age_seconds{runner=\"" << LabelValue(r.id) << "\"} "
      << r.heartbeat_age_s << "\n";
  }
  Family(o, "oj_runner_internal_errors", "gauge", "Consecutive judge errors of each runner.");
  for (const RunnerRow& r : runners) {
    o << "oj_runner_internal_errors{runner=\"" << LabelValue(r.id) << "\"} " << r.internal_errors
      << "\n";
  }
  Family(o, "oj_runners_held", "gauge", "Runners held by the pressure gate (PSI, memory, disk).");
  o << "oj_runners_held " << held << "\n";
}

}  // namespace

Response HandleMetrics(AppContext& ctx) {
  std::ostringstream o;
  RenderScoreboard(o, ctx.scoreboard);
  auto queue = ReadQueueSnapshot(*ctx.db);
  auto runners = queue.ok() ? ReadRunners(*ctx.db) : Result<std::vector<RunnerRow>>(queue.status());
  if (queue.ok()) RenderQueue(o, *queue);
  if (runners.ok()) RenderRunners(o, *runners);
  Family(o, "oj_database_up", "gauge", "1 when the database answered this scrape's queries.");
  o << "oj_database_up " << (queue.ok() && runners.ok() ? 1 : 0) << "\n";
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = o.str();
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace oj
