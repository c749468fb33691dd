#include "ops/watchdog/canary_prober.h"

#include <algorithm>

#include "core/canary_store.h"
#include "core/http_client.h"
#include "core/log.h"
#include "domain/submission_status.h"

namespace oj::watchdog {
namespace {

DatabaseConfig ProberDb(DatabaseConfig d) {
  // As the other database checks: a hung database must not stall the cycle.
  d.connect_timeout_s = std::min<uint32_t>(d.connect_timeout_s, 2);
  d.read_timeout_s = std::min<uint32_t>(d.read_timeout_s, 3);
  return d;
}

std::string UploadUrl(const Config& cfg) {
  std::string url = PathsFrom(cfg).health_url;  // http://<host>:<port>/healthz
  return url.substr(0, url.rfind('/')) + "/upload";
}

std::string FirstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.size() > 200 ? line.substr(0, 200) : line;
}

}  // namespace

std::string CanaryCheckName(const std::string& course, const std::string& module) {
  return "canary:" + course + "/" + module;
}

Observation CanaryObservation(CanaryOutcome o) {
  if (CanaryOutcomeBad(o)) return Observation::kOver;
  if (o == CanaryOutcome::kRight) return Observation::kOk;
  return Observation::kUnknown;  // nothing concluded yet: neither fire nor resolve
}

CanaryProber::CanaryProber(const Config& cfg) { Reconfigure(cfg); }

void CanaryProber::Reconfigure(const Config& cfg) {
  c_ = cfg.canary;
  upload_url_ = UploadUrl(cfg);
  db_ = std::make_unique<Database>(ProberDb(cfg.database));
}

CanaryProber::UploadOutcome CanaryProber::Upload(const std::string& token,
                                                 const std::string& course,
                                                 const std::string& module,
                                                 const std::string& archive) {
  UploadOutcome out;
  const std::vector<FormPart> form = {
      {.name = "token", .data = token},
      {.name = "course", .data = course},
      {.name = "module", .data = module},
      {.name = "file", .data = archive, .filename = "canary.tar.bz2"},
  };
  auto r = HttpPostForm(upload_url_, form,
                        {.timeout = std::chrono::milliseconds(c_.upload_timeout_ms),
                         .user_agent = "oj-watchdog canary"});
  if (!r.ok()) {
    out.reason = "POST " + upload_url_ + " got no answer: " + r.status().message();
    return out;
  }
  auto id = r->status == 200 ? ParseReceivedId(r->body) : std::nullopt;
  if (!id) {
    out.reason = "POST " + upload_url_ + " answered " + std::to_string(r->status) + ": " +
                 FirstLine(r->body);
    return out;
  }
  out.stored = true;
  out.id = *id;
  out.elapsed = r->elapsed;
  return out;
}

void CanaryProber::Run(std::vector<Sample>* out) {
  if (c_.interval_s == 0) return;  // this watchdog sends no canary ([canary] interval_s = 0)
  auto defs = ListCanaries(*db_);
  if (!defs.ok()) {
    for (const std::string& name : last_checks_) {
      out->push_back(Sample{name, Observation::kUnknown, "", "",
                            "database unreachable: " + defs.status().message()});
    }
    return;
  }
  last_checks_.clear();
  std::map<uint32_t, Memory> kept;
  for (const CanaryDef& d : *defs) {
    std::string check = CanaryCheckName(d.course, d.module);
    last_checks_.push_back(check);
    std::chrono::seconds interval(d.interval_s.value_or(c_.interval_s));
    std::chrono::seconds target(d.judge_target_s.value_or(c_.judge_target_s));
    std::string threshold =
        FormatCanaryExpectation(d.expect) + " within " + std::to_string(target.count()) + " s";
    if (!d.enabled) {
      out->push_back(Sample{check, Observation::kOk, "paused", threshold,
                            "canary paused (ojctl canary set " + d.course + " " + d.module +
                                " --enabled on resumes it)"});
      continue;
    }
    Memory m = memory_.count(d.module_id) ? memory_[d.module_id] : Memory{};
    if (m.version != d.updated_at) m = Memory{d.updated_at, std::nullopt, std::nullopt};
    auto runs = RecentCanaryRuns(*db_, d.student_id, d.module_id, d.updated_at, kCanaryRunsRead);
    if (!runs.ok()) {
      out->push_back(Sample{check, Observation::kUnknown, "", threshold,
                            "database unreachable: " + runs.status().message()});
      kept[d.module_id] = m;
      continue;
    }
    std::optional<SysTime> last_sent = m.last_attempt;
    size_t in_flight = 0;
    for (const CanaryRun& r : *runs) {
      if (!last_sent || r.received_at > *last_sent) last_sent = r.received_at;
      if (r.status == Name(SubmissionStatus::kQueued) ||
          r.status == Name(SubmissionStatus::kRunning))
        ++in_flight;
    }
    SysTime now = std::chrono::system_clock::now();
    if (CanaryDue(last_sent, now, interval, in_flight, kMaxCanariesInFlight)) {
      auto archive = LoadCanaryArchive(*db_, d.module_id);
      if (archive.ok()) {
        m.last_attempt = now;
        UploadOutcome up = Upload(d.token, d.course, d.module, *archive);
        if (up.stored) {
          spdlog::info("canary {}/{} sent: {} ({} ms)", d.course, d.module, up.id,
                       up.elapsed.count());
          auto again =
              RecentCanaryRuns(*db_, d.student_id, d.module_id, d.updated_at, kCanaryRunsRead);
          if (again.ok()) runs = std::move(again);
        } else {
          spdlog::warn("canary {}/{} refused: {}", d.course, d.module, up.reason);
          m.refusal = CanaryRefusal{now, up.reason};
        }
      } else {
        spdlog::warn("canary {}/{}: cannot read its archive: {}", d.course, d.module,
                     archive.status().message());
      }
    }
    CanaryJudgement j =
        JudgeCanary(*runs, m.refusal, std::chrono::system_clock::now(), target, d.expect);
    out->push_back(Sample{check, CanaryObservation(j.outcome),
                          j.value.empty() ? std::string(CanaryOutcomeName(j.outcome)) : j.value,
                          threshold, j.detail});
    kept[d.module_id] = m;
  }
  memory_ = std::move(kept);  // removed canaries are forgotten
}

}  // namespace oj::watchdog
