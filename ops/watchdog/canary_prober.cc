#include "ops/watchdog/canary_prober.h"

#include <curl/curl.h>

#include <algorithm>

#include "core/canary_store.h"
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

size_t Collect(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  if (body->size() < 512) body->append(data, std::min(len, 512 - body->size()));
  return len;
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
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    out.reason = "curl_easy_init failed";
    return out;
  }
  CURL* c = curl.get();
  std::unique_ptr<curl_mime, decltype(&curl_mime_free)> mime(curl_mime_init(c), curl_mime_free);
  auto field = [&](const char* name, const std::string& value) {
    curl_mimepart* p = curl_mime_addpart(mime.get());
    curl_mime_name(p, name);
    curl_mime_data(p, value.data(), value.size());
  };
  field("token", token);
  field("course", course);
  field("module", module);
  curl_mimepart* file = curl_mime_addpart(mime.get());
  curl_mime_name(file, "file");
  curl_mime_filename(file, "canary.tar.bz2");
  curl_mime_type(file, "application/octet-stream");
  curl_mime_data(file, archive.data(), archive.size());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, "Expect:"), curl_slist_free_all);  // no 100-continue wait
  std::string body;
  long timeout_ms = static_cast<long>(c_.upload_timeout_ms);
  curl_easy_setopt(c, CURLOPT_URL, upload_url_.c_str());
  curl_easy_setopt(c, CURLOPT_MIMEPOST, mime.get());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "oj-watchdog canary");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    out.reason = "POST " + upload_url_ + " got no answer: " + curl_easy_strerror(rc);
    return out;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  auto id = status == 200 ? ParseReceivedId(body) : std::nullopt;
  if (!id) {
    out.reason =
        "POST " + upload_url_ + " answered " + std::to_string(status) + ": " + FirstLine(body);
    return out;
  }
  out.stored = true;
  out.id = *id;
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
          spdlog::info("canary {}/{} sent: {}", d.course, d.module, up.id);
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
