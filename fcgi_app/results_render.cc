#include "fcgi_app/results_render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "domain/submission_status.h"
#include "fcgi_app/html.h"

namespace oj {
namespace {

using Json = nlohmann::ordered_json;

int64_t SecondsBetween(SysTime from, SysTime to) {
  return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

std::string FormatScore(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Json OptTimeJson(const std::optional<SysTime>& t) {
  return t ? Json(FormatIso8601(*t)) : Json(nullptr);
}

Json OptDoubleJson(const std::optional<double>& d) { return d ? Json(*d) : Json(nullptr); }

// Bootstrap contextual class for a submission's badge.
const char* BadgeClass(const ResultsSubmission& s) {
  if (s.status == Name(SubmissionStatus::kQueued)) return "text-bg-secondary";
  if (s.status == Name(SubmissionStatus::kRunning)) return "text-bg-info";
  if (s.status == Name(SubmissionStatus::kJudgeError)) return "text-bg-dark";
  if (s.status != Name(SubmissionStatus::kDone)) return "text-bg-light";
  if (s.verdict && *s.verdict == Name(Verdict::kAccepted)) return "text-bg-success";
  if (s.verdict && *s.verdict == Name(Verdict::kPartial)) return "text-bg-warning";
  return "text-bg-danger";
}

void AppendSubmission(std::string& o, const ResultsSubmission& s, const ResultsPageData& page) {
  o += "<article class=\"card mb-3 oj-sub\" id=\"sub-" + HtmlEscape(s.id) + "\" data-status=\"" +
       HtmlEscape(s.status) + "\">\n<div class=\"card-body\">\n";
  o += "<div class=\"d-flex flex-wrap justify-content-between align-items-start gap-2\">\n<div>";
  o += "<code class=\"oj-id\">" + HtmlEscape(s.id) + "</code>";
  if (s.late) o += " <span class=\"badge text-bg-warning\">late</span>";
  if (std::string note = OnTimeNote(s); !note.empty()) {
    o += " <span class=\"badge text-bg-info oj-on-time text-wrap\">" + HtmlEscape(note) + "</span>";
  }
  o += "<div class=\"small text-body-secondary\">Received " + FormatDisplayTime(s.received_at) +
       " &middot; " + std::to_string(s.size_bytes) + " bytes</div></div>\n";
  o += "<span class=\"badge " + std::string(BadgeClass(s)) + " oj-status text-wrap\">" +
       HtmlEscape(StatusText(s, page)) + "</span>\n</div>\n";
  if (s.score || s.verdict) {
    o += "<div class=\"mt-2 oj-summary\">";
    if (s.score) {
      o += "Score <strong>" + FormatScore(*s.score);
      if (s.max_score) o += " / " + FormatScore(*s.max_score);
      o += "</strong>";
    }
    if (s.verdict) {
      if (s.score) o += " &middot; ";
      o += "Verdict <strong>" + HtmlEscape(*s.verdict) + "</strong>";
    }
    o += "</div>\n";
  }
  o += "<details class=\"mt-2\"><summary>Details";
  if (!s.tests.empty()) {
    size_t passed =
        std::count_if(s.tests.begin(), s.tests.end(), [](const TestResult& t) { return t.passed; });
    o += ": " + std::to_string(passed) + " of " + std::to_string(s.tests.size()) + " tests passed";
  }
  o += "</summary>\n<p class=\"small text-break mt-2 mb-2\">SHA-256 <code>" + HtmlEscape(s.sha256) +
       "</code></p>\n";
  if (!s.tests.empty()) {
    o += "<div class=\"table-responsive\"><table class=\"table table-sm align-middle\">"
         "<thead><tr><th>Test</th><th>Result</th><th>Message</th></tr></thead><tbody>\n";
    for (const TestResult& t : s.tests) {
      o += "<tr><td>" + HtmlEscape(t.name) + "</td><td>" +
           (t.passed ? "<span class=\"text-success\">&#10003; passed</span>"
                     : "<span class=\"text-danger\">&#10007; failed</span>") +
           "</td><td class=\"oj-msg\">" + HtmlEscape(t.message) + "</td></tr>\n";
    }
    o += "</tbody></table></div>\n";
  }
  if (s.log && !s.log->empty()) {
    o += "<pre class=\"oj-log bg-body-tertiary border rounded p-2 small\">" + HtmlEscape(*s.log) +
         "</pre>\n";
    if (s.log_truncated) {
      o += "<p class=\"small text-body-secondary oj-trunc\">The log was truncated.</p>\n";
    }
  } else if (!IsPending(s)) {
    o += "<p class=\"small text-body-secondary\">No judge log.</p>\n";
  }
  o += "</details>\n</div>\n</article>\n";
}

}  // namespace

std::optional<int64_t> EstimateWaitSeconds(uint64_t ahead, uint64_t running, uint64_t runners,
                                           const std::vector<int64_t>& recent_durations_ms) {
  std::vector<int64_t> d;
  for (int64_t ms : recent_durations_ms) {
    if (ms >= 0) d.push_back(ms);
  }
  if (d.empty()) return std::nullopt;
  std::sort(d.begin(), d.end());
  double median = d.size() % 2 ? d[d.size() / 2] : (d[d.size() / 2 - 1] + d[d.size() / 2]) / 2.0;
  double r = static_cast<double>(std::max<uint64_t>(runners, 1));
  double busy = static_cast<double>(std::min<uint64_t>(running, std::max<uint64_t>(runners, 1)));
  double jobs = static_cast<double>(ahead) + 1.0 + 0.5 * busy;
  return static_cast<int64_t>(std::ceil(median * jobs / r / 1000.0));
}

std::string FormatSpan(int64_t s) {
  if (s < 0) s = 0;
  int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  auto n = [](int64_t v) { return std::to_string(v); };
  if (d > 0) return n(d) + (d == 1 ? " day " : " days ") + n(h) + " h";
  if (h > 0) return n(h) + " h " + n(m) + " min";
  if (m > 0) return n(m) + " min " + n(sec) + " s";
  return n(sec) + " s";
}

std::string FormatWait(int64_t s) {
  if (s < 60) return "under a minute";
  int64_t minutes = (s + 59) / 60;
  if (minutes < 60) return "about " + std::to_string(minutes) + " min";
  return "about " + std::to_string(minutes / 60) + " h " + std::to_string(minutes % 60) + " min";
}

std::string FormatTimeLeft(const ResultsPageData& page, SysTime now) {
  if (page.closed) return "closed";
  if (now < page.deadline) return FormatSpan(SecondsBetween(now, page.deadline)) + " left";
  if (page.late_until && now < *page.late_until) {
    return "deadline passed; late submissions accepted for " +
           FormatSpan(SecondsBetween(now, *page.late_until));
  }
  return "closed";
}

std::string OnTimeNote(const ResultsSubmission& s) {
  if (!s.on_time_refused_at) return "";
  return "accepted on time: refused at " + FormatDisplayTime(*s.on_time_refused_at).substr(11, 5) +
         " during an outage";
}

std::string StatusText(const ResultsSubmission& s, const ResultsPageData& page) {
  if (s.status == Name(SubmissionStatus::kQueued)) {
    std::string t = "Queued";
    if (s.queue_ahead) {
      t +=
          *s.queue_ahead == 0 ? ": next in line" : ": " + std::to_string(*s.queue_ahead) + " ahead";
      auto eta = EstimateWaitSeconds(*s.queue_ahead, page.running_jobs, page.active_runners,
                                     page.recent_durations_ms);
      if (eta) t += ", result in " + FormatWait(*eta);
    }
    return t;
  }
  if (s.status == Name(SubmissionStatus::kRunning)) {
    return s.started_at ? "Running since " + FormatDisplayTime(*s.started_at) : "Running";
  }
  if (s.status == Name(SubmissionStatus::kDone)) return "Done";
  if (s.status == Name(SubmissionStatus::kSuperseded)) return "Superseded by a newer submission";
  if (s.status == Name(SubmissionStatus::kCancelled)) return "Cancelled";
  if (s.status == Name(SubmissionStatus::kJudgeError))
    return "Judge error (not your fault; staff will rejudge)";
  return s.status;
}

ResultsJson RenderResultsJson(const ResultsPageData& page, SysTime now) {
  Json j;
  j["course"] = page.course_code;
  j["module"] = page.module_code;
  j["deadline"] = FormatIso8601(page.deadline);
  j["now"] = nullptr;  // filled after hashing: the ETag ignores the clock
  Json subs = Json::array();
  for (const ResultsSubmission& s : page.submissions) {
    Json o;
    o["id"] = s.id;
    o["received_at"] = FormatIso8601(s.received_at);
    o["size_bytes"] = s.size_bytes;
    o["sha256"] = s.sha256;
    o["status"] = s.status;
    std::optional<int64_t> eta;
    if (s.status == Name(SubmissionStatus::kQueued) && s.queue_ahead) {
      eta = EstimateWaitSeconds(*s.queue_ahead, page.running_jobs, page.active_runners,
                                page.recent_durations_ms);
    }
    o["queue_position"] = s.status == Name(SubmissionStatus::kQueued) && s.queue_ahead
                              ? Json(*s.queue_ahead)
                              : Json(nullptr);
    o["eta_seconds"] = eta ? Json(*eta) : Json(nullptr);
    o["late"] = s.late;
    o["score"] = OptDoubleJson(s.score);
    o["max_score"] = OptDoubleJson(s.max_score);
    o["verdict"] = s.verdict ? Json(*s.verdict) : Json(nullptr);
    Json tests = Json::array();
    for (const TestResult& t : s.tests) {
      tests.push_back(Json{{"name", t.name},
                           {"passed", t.passed},
                           {"message", t.message},
                           {"score", OptDoubleJson(t.score)},
                           {"max_score", OptDoubleJson(t.max_score)}});
    }
    o["tests"] = std::move(tests);
    o["log"] = s.log ? Json(*s.log) : Json(nullptr);
    o["log_truncated"] = s.log_truncated;
    o["started_at"] = OptTimeJson(s.started_at);
    o["finished_at"] = OptTimeJson(s.finished_at);
    o["status_text"] = StatusText(s, page);
    o["on_time_refused_at"] = OptTimeJson(s.on_time_refused_at);
    if (std::string note = OnTimeNote(s); !note.empty()) {
      o["on_time_note"] = note;
    } else {
      o["on_time_note"] = nullptr;
    }
    subs.push_back(std::move(o));
  }
  j["submissions"] = std::move(subs);
  j["course_title"] = page.course_title;
  j["module_title"] = page.module_title;
  j["late_until"] = OptTimeJson(page.late_until);
  j["closed"] = page.closed;
  constexpr auto kReplace = Json::error_handler_t::replace;
  ResultsJson out;
  out.etag = WeakEtag(j.dump(-1, ' ', false, kReplace));
  j["now"] = FormatIso8601(now);
  j["time_left"] = FormatTimeLeft(page, now);
  out.body = j.dump(-1, ' ', false, kReplace) + "\n";
  return out;
}

std::string WeakEtag(std::string_view body) {
  return "W/\"" + Sha256Hex(body).substr(0, 20) + "\"";
}

bool EtagMatches(std::string_view header, std::string_view etag) {
  auto strip_weak = [](std::string_view t) {
    if (t.size() >= 2 && t[0] == 'W' && t[1] == '/') t.remove_prefix(2);
    return t;
  };
  std::string_view want = strip_weak(etag);
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = header.substr(pos, comma - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (!item.empty() && strip_weak(item) == want) return true;
    pos = comma + 1;
  }
  return false;
}

std::string RenderResultsPage(const ResultsPageData& page, SysTime now, const PageOptions& opt) {
  bool pending = std::any_of(page.submissions.begin(), page.submissions.end(), IsPending);
  std::string token = HtmlEscape(opt.token);
  std::string o;
  o.reserve(8192);
  o += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       "<meta name=\"robots\" content=\"noindex\">\n<title>";
  o += HtmlEscape(page.module_code) + " &middot; " + HtmlEscape(page.course_code) +
       " &middot; results</title>\n"
       "<link rel=\"stylesheet\" href=\"src/bootstrap.min.css\">\n"
       "<link rel=\"stylesheet\" href=\"src/oj.css";
  if (!opt.asset_version.empty()) o += "?v=" + HtmlEscape(opt.asset_version);
  o += "\">\n</head>\n<body>\n";
  o += "<main class=\"container py-3\" id=\"oj\" data-json=\"" + token + ".json\" data-pending=\"" +
       (pending ? "1" : "0") + "\">\n";
  o += "<h1 class=\"h4 mb-1\">";
  if (page.module_title.empty() || page.module_title == page.module_code) {
    o += HtmlEscape(page.module_code) + "</h1>\n";
  } else {
    o += HtmlEscape(page.module_title) + " <small class=\"text-body-secondary\">" +
         HtmlEscape(page.module_code) + "</small></h1>\n";
  }
  o += "<p class=\"mb-1\">" +
       HtmlEscape(page.course_title.empty() ? page.course_code : page.course_title) +
       " <span class=\"text-body-secondary\">(" + HtmlEscape(page.course_code) + ")</span></p>\n";
  o += "<p class=\"mb-1\">Deadline <strong>" + FormatDisplayTime(page.deadline) +
       "</strong> &middot; <span id=\"oj-left\">" + HtmlEscape(FormatTimeLeft(page, now)) +
       "</span></p>\n";
  o += "<p class=\"small text-body-secondary\">As of <span id=\"oj-now\">" +
       FormatDisplayTime(now) + "</span> &middot; <a href=\"" + token +
       "\" id=\"oj-refresh\">Refresh</a> <span id=\"oj-poll\"></span></p>\n";
  o += "<div id=\"oj-subs\">\n";
  if (page.submissions.empty()) {
    o += "<p class=\"text-body-secondary\">No submissions yet.</p>\n";
  }
  for (const ResultsSubmission& s : page.submissions) AppendSubmission(o, s, page);
  o += "</div>\n</main>\n<script src=\"src/bootstrap.min.js\" defer></script>\n"
       "<script src=\"src/oj.js";
  if (!opt.asset_version.empty()) o += "?v=" + HtmlEscape(opt.asset_version);
  o += "\" defer></script>\n</body>\n</html>\n";
  return o;
}

const std::string& NotFoundPage() {
  static const std::string page =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>Not found</title>\n</head>\n<body>\n"
      "<h1>Not found</h1>\n<p>There is no results page at this address. "
      "Check the course, the module and your token.</p>\n</body>\n</html>\n";
  return page;
}

const std::string& NotFoundJson() {
  static const std::string body = "{\"error\":\"unknown course, module or token\"}\n";
  return body;
}

std::string BusyPage(uint32_t retry_after_s) {
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>Busy</title>\n</head>\n<body>\n"
         "<h1>Busy</h1>\n<p>The server is busy. Please retry in " +
         std::to_string(retry_after_s) + " s.</p>\n</body>\n</html>\n";
}

}  // namespace oj
