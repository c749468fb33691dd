#include "fcgi_app/results_render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace oj {
namespace {

using std::chrono::seconds;

SysTime T(const char* db) { return *ParseDbTime(db); }

TEST(EstimateWaitTest, Table) {
  struct Case {
    uint64_t ahead, running, runners;
    std::vector<int64_t> durations_ms;
    std::optional<int64_t> want;
  } cases[] = {
      {0, 0, 1, {}, std::nullopt},        // no history: no estimate
      {5, 1, 1, {-1}, std::nullopt},      // only nonsense durations
      {0, 0, 1, {10000}, 10},             // itself only
      {0, 0, 0, {10000}, 10},             // no live runner counts as one
      {2, 0, 1, {10000}, 30},             // two ahead and itself
      {2, 1, 1, {10000}, 35},             // plus half of the running job
      {3, 2, 2, {10000}, 25},             // (3 + 1 + 1) * 10 / 2
      {0, 0, 1, {1000, 2000, 90000}, 2},  // median, not mean
      {0, 0, 1, {1000, 3000}, 2},         // even count: middle pair
      {0, 0, 1, {1}, 1},                  // rounds up
      {99, 0, 4, {4000}, 100},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EstimateWaitSeconds(c.ahead, c.running, c.runners, c.durations_ms), c.want)
        << c.ahead << " ahead, " << c.running << " running, " << c.runners << " runners";
  }
}

TEST(FormatTest, WaitAndSpan) {
  struct Case {
    int64_t s;
    const char* wait;
    const char* span;
  } cases[] = {
      {0, "under a minute", "0 s"},
      {59, "under a minute", "59 s"},
      {60, "about 1 min", "1 min 0 s"},
      {61, "about 2 min", "1 min 1 s"},
      {3600, "about 1 h 0 min", "1 h 0 min"},
      {3 * 86400 + 4 * 3600 + 5, "about 76 h 1 min", "3 days 4 h"},
      {86400, "about 24 h 0 min", "1 day 0 h"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatWait(c.s), c.wait) << c.s;
    EXPECT_EQ(FormatSpan(c.s), c.span) << c.s;
  }
}

TEST(FormatTest, TimeLeft) {
  ResultsPageData p;
  p.deadline = T("2024-10-10 12:00:00");
  EXPECT_EQ(FormatTimeLeft(p, T("2024-10-10 11:00:00")), "1 h 0 min left");
  EXPECT_EQ(FormatTimeLeft(p, T("2024-10-10 12:00:00")), "closed");
  p.late_until = T("2024-10-11 12:00:00");
  EXPECT_EQ(FormatTimeLeft(p, T("2024-10-10 12:00:00")),
            "deadline passed; late submissions accepted for 1 day 0 h");
  EXPECT_EQ(FormatTimeLeft(p, T("2024-10-12 00:00:00")), "closed");
  p.closed = true;
  EXPECT_EQ(FormatTimeLeft(p, T("2024-10-01 00:00:00")), "closed");
}

TEST(EtagTest, Matches) {
  const std::string e = "W/\"abc\"";
  struct Case {
    const char* header;
    bool want;
  } cases[] = {
      {"W/\"abc\"", true},    {"\"abc\"", true},    {"*", true}, {"\"x\", W/\"abc\"", true},
      {" W/\"abc\" ", true},  {"W/\"abd\"", false}, {"", false}, {"abc", false},
      {"\"x\",\"y\"", false},
  };
  for (const Case& c : cases) EXPECT_EQ(EtagMatches(c.header, e), c.want) << c.header;
  EXPECT_EQ(WeakEtag("x"), WeakEtag("x"));
  EXPECT_NE(WeakEtag("x"), WeakEtag("y"));
  EXPECT_EQ(WeakEtag("x").substr(0, 3), "W/\"");
}

ResultsPageData SamplePage() {
  ResultsPageData p;
  p.course_code = "ICS2024";
  p.course_title = "Systems";
  p.module_code = "PA1";
  p.module_title = "PA1: <expr>";
  p.deadline = T("2024-10-10 12:00:00");
  p.recent_durations_ms = {4000};
  p.active_runners = 1;
  ResultsSubmission done;
  done.id = "BBBBBBBBBBBBBBBB";
  done.received_at = T("2024-10-01 10:00:00");
  done.size_bytes = 123;
  done.sha256 = std::string(64, 'a');
  done.status = "done";
  done.verdict = "partial";
  done.score = 5;
  done.max_score = 10;
  done.log = "<script>alert(1)</script> \xFF\xFE bad";
  done.log_truncated = true;
  done.tests = {{1, "t<1>", true, 5, 5, "ok", std::nullopt, std::nullopt},
                {2, "t2", false, 0, 5, "expected \"3\"\xC3", std::nullopt, std::nullopt}};
  ResultsSubmission queued;
  queued.id = "AAAAAAAAAAAAAAAA";
  queued.received_at = T("2024-10-01 11:00:00");
  queued.status = "queued";
  queued.queue_ahead = 2;
  p.submissions = {queued, done};
  return p;
}

TEST(ResultsJsonTest, FieldsAndTypes) {
  ResultsJson j = RenderResultsJson(SamplePage(), T("2024-10-01 12:00:00"));
  auto doc = nlohmann::json::parse(j.body);  // throws on invalid UTF-8 or syntax
  for (const char* k : {"course", "module", "deadline", "now", "submissions"}) {
    EXPECT_TRUE(doc.contains(k)) << k;
  }
  EXPECT_EQ(doc["course"], "ICS2024");
  EXPECT_EQ(doc["deadline"].get<std::string>().size(), 25u);  // 2024-10-10T12:00:00+00:00
  ASSERT_EQ(doc["submissions"].size(), 2u);
  const auto& q = doc["submissions"][0];
  for (const char* k :
       {"id", "received_at", "size_bytes", "sha256", "status", "queue_position", "eta_seconds",
        "late", "score", "max_score", "verdict", "tests", "log", "log_truncated"}) {
    EXPECT_TRUE(q.contains(k)) << k;
  }
  EXPECT_EQ(q["status"], "queued");
  EXPECT_EQ(q["queue_position"], 2);
  EXPECT_EQ(q["eta_seconds"], 12);  // (2 ahead + itself) * 4 s
  EXPECT_TRUE(q["verdict"].is_null());
  EXPECT_TRUE(q["tests"].is_array());
  const auto& d = doc["submissions"][1];
  EXPECT_TRUE(d["queue_position"].is_null());
  EXPECT_TRUE(d["eta_seconds"].is_null());
  EXPECT_EQ(d["score"], 5.0);
  EXPECT_EQ(d["verdict"], "partial");
  EXPECT_EQ(d["log"], "<script>alert(1)</script> \xEF\xBF\xBD\xEF\xBF\xBD bad");
  EXPECT_EQ(d["log_truncated"], true);
  ASSERT_EQ(d["tests"].size(), 2u);
  EXPECT_EQ(d["tests"][0]["name"], "t<1>");
  EXPECT_EQ(d["tests"][0]["passed"], true);
  EXPECT_EQ(d["tests"][1]["message"], "expected \"3\"\xEF\xBF\xBD");
}

TEST(ResultsJsonTest, EtagIgnoresTheClockButNotTheData) {
  ResultsPageData p = SamplePage();
  ResultsJson a = RenderResultsJson(p, T("2024-10-01 12:00:00"));
  ResultsJson b = RenderResultsJson(p, T("2024-10-01 12:00:07"));
  EXPECT_NE(a.body, b.body);
  EXPECT_EQ(a.etag, b.etag);
  p.submissions[0].status = "running";
  EXPECT_NE(RenderResultsJson(p, T("2024-10-01 12:00:00")).etag, a.etag);
}

TEST(ResultsPageTest, EscapesAndReferencesAssetsRelatively) {
  std::string html = RenderResultsPage(SamplePage(), T("2024-10-01 12:00:00"), {"Tok12345", "v1"});
  EXPECT_NE(html.find("href=\"src/bootstrap.min.css\""), std::string::npos);
  EXPECT_NE(html.find("src=\"src/bootstrap.min.js\""), std::string::npos);
  EXPECT_NE(html.find("src=\"src/oj.js?v=v1\""), std::string::npos);
  EXPECT_NE(html.find("data-json=\"Tok12345.json\""), std::string::npos);
  EXPECT_NE(html.find("data-pending=\"1\""), std::string::npos);
  EXPECT_NE(html.find("href=\"Tok12345\""), std::string::npos);  // the no-JS refresh link
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; \xEF\xBF\xBD\xEF\xBF\xBD bad"),
            std::string::npos);
  EXPECT_NE(html.find("PA1: &lt;expr&gt;"), std::string::npos);
  EXPECT_NE(html.find("t&lt;1&gt;"), std::string::npos);
  EXPECT_NE(html.find("Queued: 2 ahead, result in under a minute"), std::string::npos);
  EXPECT_NE(html.find("The log was truncated."), std::string::npos);
  EXPECT_NE(html.find("1 of 2 tests passed"), std::string::npos);
  // Newest first, as the store returns them.
  EXPECT_LT(html.find("AAAAAAAAAAAAAAAA"), html.find("BBBBBBBBBBBBBBBB"));
}

TEST(ResultsPageTest, NothingPending) {
  ResultsPageData p = SamplePage();
  p.submissions.erase(p.submissions.begin());
  std::string html = RenderResultsPage(p, T("2024-10-01 12:00:00"), {"Tok12345", ""});
  EXPECT_NE(html.find("data-pending=\"0\""), std::string::npos);
  EXPECT_NE(html.find("src=\"src/oj.js\""), std::string::npos);
  p.submissions.clear();
  html = RenderResultsPage(p, T("2024-10-01 12:00:00"), {"Tok12345", ""});
  EXPECT_NE(html.find("No submissions yet."), std::string::npos);
}

TEST(StatusTextTest, Table) {
  ResultsPageData p;
  struct Case {
    const char* status;
    std::optional<uint64_t> ahead;
    const char* want;
  } cases[] = {
      {"queued", 0, "Queued: next in line"},
      {"queued", 3, "Queued: 3 ahead"},
      {"queued", std::nullopt, "Queued"},
      {"running", std::nullopt, "Running"},
      {"done", std::nullopt, "Done"},
      {"superseded", std::nullopt, "Superseded by a newer submission"},
      {"cancelled", std::nullopt, "Cancelled"},
      {"judge_error", std::nullopt, "Judge error (not your fault; staff will rejudge)"},
  };
  for (const Case& c : cases) {
    ResultsSubmission s;
    s.status = c.status;
    s.queue_ahead = c.ahead;
    EXPECT_EQ(StatusText(s, p), c.want) << c.status;
  }
}

}  // namespace
}  // namespace oj
