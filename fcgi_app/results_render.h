// The results page and its JSON, as pure functions of the data the store loaded
// and the time: no database, no clock, no I/O, so results_render_test.cc can table
// test them. results.cc wires them to the request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/results_store.h"

namespace oj {

// Estimated seconds until a queued submission's result is ready: the median of the
// recent judge durations times the jobs before it is done (those ahead, half of each
// running job, and itself), shared among the active runners (at least one).
// nullopt when there is no history to estimate from.
std::optional<int64_t> EstimateWaitSeconds(uint64_t ahead, uint64_t running, uint64_t runners,
                                           const std::vector<int64_t>& recent_durations_ms);

// "under a minute", "about 3 min", "about 2 h 5 min".
std::string FormatWait(int64_t seconds);
// A span as "2 days 3 h", "3 h 4 min", "4 min 5 s", "5 s".
std::string FormatSpan(int64_t seconds);
// The module's state for the header: "3 days 4 h left", "deadline passed; late
// submissions accepted for 2 h", "closed".
std::string FormatTimeLeft(const ResultsPageData& page, SysTime now);
// "accepted on time: refused at 12:03 during an outage" (display zone) for a
// submission accepted after the deadline by the outage ledger; "" otherwise.
std::string OnTimeNote(const ResultsSubmission& sub);
// "Queued: 3 ahead, about 2 min", "Running since 12:00:01", "Done", ...
std::string StatusText(const ResultsSubmission& sub, const ResultsPageData& page);

// The JSON document (contract §3.3 field names, plus course_title, module_title,
// late_until, closed, started_at, finished_at and per-test score/max_score) and its
// ETag. The ETag is weak and covers everything but "now", so a poll that finds
// nothing changed gets 304 even though the clock moved.
struct ResultsJson {
  std::string body;
  std::string etag;  // W/"<hex>"
};
ResultsJson RenderResultsJson(const ResultsPageData& page, SysTime now);

// W/"<first 20 hex digits of SHA-256(body)>".
std::string WeakEtag(std::string_view body);
// True if an If-None-Match header value matches etag (weak comparison, lists, "*").
bool EtagMatches(std::string_view if_none_match, std::string_view etag);

struct PageOptions {
  std::string token;          // for the relative links to <token>.json and the refresh link
  std::string asset_version;  // appended to src/oj.js as ?v=..., empty for none
};
// The HTML page: complete without JavaScript (refresh link); oj.js polls the JSON
// while any submission is pending.
std::string RenderResultsPage(const ResultsPageData& page, SysTime now, const PageOptions& opt);

// The one 404 page for any unknown course, module or token (byte-identical).
const std::string& NotFoundPage();
// The one 404 JSON body for the .json route.
const std::string& NotFoundJson();
// 503 page when the database is unavailable.
std::string BusyPage(uint32_t retry_after_s);

// True while the submission may still change on its own (queued or running).
inline bool IsPending(const ResultsSubmission& s) {
  return s.status == "queued" || s.status == "running";
}

}  // namespace oj
