#include "core/canary.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

using std::chrono::seconds;

const SysTime kNow = SysTime{} + std::chrono::hours(24 * 365 * 50);
const CanaryExpectation kAccepted{"accepted", 100.0};

CanaryRun Sent(const char* id, int sent_ago_s, const char* status,
               std::optional<std::string> verdict = std::nullopt,
               std::optional<double> score = std::nullopt, int judged_after_s = 2) {
  CanaryRun r;
  r.id = id;
  r.received_at = kNow - seconds(sent_ago_s);
  r.status = status;
  r.verdict = verdict;
  r.score = score;
  if (std::string(status) != "queued" && std::string(status) != "running") {
    r.finished_at = r.received_at + seconds(judged_after_s);
  }
  return r;
}

struct JudgeCase {
  const char* name;
  std::vector<CanaryRun> runs;
  std::optional<CanaryRefusal> refusal;
  CanaryOutcome want;
  const char* want_id;
  const char* detail_mentions;
};

TEST(CanaryTest, JudgeTable) {
  const seconds target(60);
  const JudgeCase cases[] = {
      {"nothing sent", {}, std::nullopt, CanaryOutcome::kNoResult, "", "no canary sent"},
      {"first one waiting",
       {Sent("A", 10, "queued")},
       std::nullopt,
       CanaryOutcome::kPending,
       "A",
       "not judged yet"},
      {"first one running",
       {Sent("A", 10, "running")},
       std::nullopt,
       CanaryOutcome::kPending,
       "A",
       "running"},
      {"right",
       {Sent("A", 100, "done", "accepted", 100)},
       std::nullopt,
       CanaryOutcome::kRight,
       "A",
       "judged accepted/100 in 2 s"},
      {"wrong verdict",
       {Sent("A", 100, "done", "wrong_answer", 0)},
       std::nullopt,
       CanaryOutcome::kWrong,
       "A",
       "got wrong_answer/0, expected accepted/100"},
      {"right verdict, wrong score",
       {Sent("A", 100, "done", "accepted", 90)},
       std::nullopt,
       CanaryOutcome::kWrong,
       "A",
       "got accepted/90"},
      {"judge error",
       {Sent("A", 100, "judge_error")},
       std::nullopt,
       CanaryOutcome::kWrong,
       "A",
       "got judge_error"},
      {"cancelled by staff",
       {Sent("A", 100, "cancelled")},
       std::nullopt,
       CanaryOutcome::kWrong,
       "A",
       "got cancelled"},
      {"waiting past the target",
       {Sent("A", 61, "queued")},
       std::nullopt,
       CanaryOutcome::kLate,
       "A",
       "still queued after 61 s (target 60 s)"},
      {"running past the target",
       {Sent("A", 90, "running")},
       std::nullopt,
       CanaryOutcome::kLate,
       "A",
       "still running after 90 s"},
      {"judged right but too late",
       {Sent("A", 300, "done", "accepted", 100, 200)},
       std::nullopt,
       CanaryOutcome::kLate,
       "A",
       "only after 200 s"},
      {"late one beats an older right one",
       {Sent("B", 70, "queued"), Sent("A", 700, "done", "accepted", 100)},
       std::nullopt,
       CanaryOutcome::kLate,
       "B",
       "still queued"},
      {"the oldest late one is named",
       {Sent("C", 65, "queued"), Sent("B", 130, "queued")},
       std::nullopt,
       CanaryOutcome::kLate,
       "B",
       "after 130 s"},
      {"newest concluded decides: right after wrong",
       {Sent("B", 100, "done", "accepted", 100), Sent("A", 700, "done", "wrong_answer", 0)},
       std::nullopt,
       CanaryOutcome::kRight,
       "B",
       "judged accepted"},
      {"newest concluded decides: wrong after right",
       {Sent("B", 100, "done", "compile_error", 0), Sent("A", 700, "done", "accepted", 100)},
       std::nullopt,
       CanaryOutcome::kWrong,
       "B",
       "compile_error"},
      {"a pending one does not hide the last wrong one",
       {Sent("B", 5, "queued"), Sent("A", 700, "done", "wrong_answer", 0)},
       std::nullopt,
       CanaryOutcome::kWrong,
       "A",
       "wrong_answer"},
      {"a pending one keeps the last right one",
       {Sent("B", 5, "queued"), Sent("A", 700, "done", "accepted", 100)},
       std::nullopt,
       CanaryOutcome::kRight,
       "A",
       "accepted"},
      {"refused after the last right one",
       {Sent("A", 700, "done", "accepted", 100)},
       CanaryRefusal{kNow - seconds(10), "503 busy"},
       CanaryOutcome::kRefused,
       "",
       "refused: 503 busy"},
      {"refused, nothing ever stored",
       {},
       CanaryRefusal{kNow - seconds(10), "no answer"},
       CanaryOutcome::kRefused,
       "",
       "no answer"},
      {"refused, then a later canary judged right",
       {Sent("B", 100, "done", "accepted", 100)},
       CanaryRefusal{kNow - seconds(700), "503"},
       CanaryOutcome::kRight,
       "B",
       "accepted"},
      {"refused, then a later canary still waiting: still refused",
       {Sent("B", 5, "queued")},
       CanaryRefusal{kNow - seconds(700), "503"},
       CanaryOutcome::kRefused,
       "",
       "503"},
  };
  for (const JudgeCase& c : cases) {
    CanaryJudgement j = JudgeCanary(c.runs, c.refusal, kNow, target, kAccepted);
    EXPECT_EQ(CanaryOutcomeName(j.outcome), CanaryOutcomeName(c.want))
        << c.name << ": " << j.detail;
    EXPECT_EQ(j.submission_id, c.want_id) << c.name;
    EXPECT_NE(j.detail.find(c.detail_mentions), std::string::npos)
        << c.name << ": '" << j.detail << "' lacks '" << c.detail_mentions << "'";
  }
}

TEST(CanaryTest, VerdictOnlyExpectationIgnoresTheScore) {
  CanaryExpectation partial{"partial", std::nullopt};
  auto j = JudgeCanary({Sent("A", 100, "done", "partial", 37)}, std::nullopt, kNow, seconds(60),
                       partial);
  EXPECT_EQ(j.outcome, CanaryOutcome::kRight) << j.detail;
}

TEST(CanaryTest, BadOutcomes) {
  EXPECT_TRUE(CanaryOutcomeBad(CanaryOutcome::kWrong));
  EXPECT_TRUE(CanaryOutcomeBad(CanaryOutcome::kLate));
  EXPECT_TRUE(CanaryOutcomeBad(CanaryOutcome::kRefused));
  EXPECT_FALSE(CanaryOutcomeBad(CanaryOutcome::kRight));
  EXPECT_FALSE(CanaryOutcomeBad(CanaryOutcome::kPending));
  EXPECT_FALSE(CanaryOutcomeBad(CanaryOutcome::kNoResult));
}

TEST(CanaryTest, Due) {
  const seconds interval(600);
  EXPECT_TRUE(CanaryDue(std::nullopt, kNow, interval, 0, 3));
  EXPECT_FALSE(CanaryDue(kNow - seconds(599), kNow, interval, 0, 3));
  EXPECT_TRUE(CanaryDue(kNow - seconds(600), kNow, interval, 0, 3));
  EXPECT_TRUE(CanaryDue(kNow - seconds(6000), kNow, interval, 2, 3));
  EXPECT_FALSE(CanaryDue(kNow - seconds(6000), kNow, interval, 3, 3));  // runner stopped
  EXPECT_FALSE(CanaryDue(std::nullopt, kNow, interval, 3, 3));
}

TEST(CanaryTest, ParseExpectation) {
  struct Good {
    const char* text;
    const char* verdict;
    std::optional<double> score;
    const char* formatted;
  };
  const Good good[] = {{"accepted", "accepted", std::nullopt, "accepted"},
                       {"accepted/100", "accepted", 100.0, "accepted/100"},
                       {"partial/60", "partial", 60.0, "partial/60"},
                       {"partial/62.5", "partial", 62.5, "partial/62.5"},
                       {"compile_error/0", "compile_error", 0.0, "compile_error/0"}};
  for (const Good& g : good) {
    auto e = ParseCanaryExpectation(g.text);
    ASSERT_TRUE(e.ok()) << g.text << ": " << e.status().message();
    EXPECT_EQ(e->verdict, g.verdict);
    EXPECT_EQ(e->score, g.score) << g.text;
    EXPECT_EQ(FormatCanaryExpectation(*e), g.formatted);
  }
  const char* bad[] = {"",
                       "ok",
                       "Accepted",
                       "accepted/",
                       "accepted/-1",
                       "accepted/abc",
                       "accepted/100/2",
                       "accepted/nan",
                       "accepted/inf",
                       "done/100"};
  for (const char* b : bad) EXPECT_FALSE(ParseCanaryExpectation(b).ok()) << b;
}

TEST(CanaryTest, ParseReceivedId) {
  EXPECT_EQ(
      ParseReceivedId("[SUCC \xE2\x9C\x93] Received AbCdEfGh12345678 at 2025-03-01 12:00:00\n"),
      "AbCdEfGh12345678");
  EXPECT_EQ(ParseReceivedId(
                "[SUCC \xE2\x9C\x93] Received AbCdEfGh12345678 at 2025-03-01 12:00:00 (late)\n"),
            "AbCdEfGh12345678");
  const char* bad[] = {"",
                       "[FAIL \xE2\x9C\x97] Server busy, retry in 10 s\n",
                       "[SUCC \xE2\x9C\x93] Received short at 2025-03-01 12:00:00\n",
                       "[SUCC \xE2\x9C\x93] Received AbCdEfGh1234567! at 2025-03-01\n",
                       "[SUCC \xE2\x9C\x93] Received AbCdEfGh12345678\n",
                       "<html>502 Bad Gateway</html>"};
  for (const char* b : bad) EXPECT_FALSE(ParseReceivedId(b)) << b;
}

}  // namespace
}  // namespace oj
