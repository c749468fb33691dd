#include "judge_runner/verdict.h"

#include <gtest/gtest.h>

namespace oj::runner {
namespace {

StageOutcome Exit(int code) {
  StageOutcome s;
  s.exit_code = code;
  return s;
}
StageOutcome Signal(int sig) {
  StageOutcome s;
  s.exit_code = -1;
  s.term_signal = sig;
  return s;
}
StageOutcome With(StageOutcome s, void (*f)(StageOutcome&)) {
  f(s);
  return s;
}
JudgeReport Report(double score, double max, std::optional<std::string> verdict = std::nullopt) {
  JudgeReport r;
  r.score = score;
  r.max_score = max;
  if (verdict) r.verdict = ParseVerdict(*verdict);
  return r;
}

struct Case {
  const char* name;
  VerdictInput in;
  bool judge_error;
  const char* verdict;
  double score;
};

TEST(VerdictTest, Table) {
  const StageOutcome ok = Exit(0);
  const StageOutcome oom = With(Exit(-1), [](StageOutcome& s) {
    s.oom_kills = 1;
    s.term_signal = 9;
  });
  const StageOutcome cpu = With(Signal(9), [](StageOutcome& s) { s.cpu_limit_hit = true; });
  const StageOutcome wall = With(Signal(9), [](StageOutcome& s) { s.wall_limit_hit = true; });
  const StageOutcome out = With(Signal(9), [](StageOutcome& s) { s.output_limit_hit = true; });
  const StageOutcome broken = With(Exit(0), [](StageOutcome& s) { s.sandbox_failed = true; });
  const Case cases[] = {
      {"accepted", {ExtractStatus::kOk, ok, ok, Report(100, 100), 100}, false, "accepted", 100},
      {"accepted, no build",
       {ExtractStatus::kOk, std::nullopt, ok, Report(10, 10), 100},
       false,
       "accepted",
       100},
      {"partial", {ExtractStatus::kOk, ok, ok, Report(70, 100), 100}, false, "partial", 70},
      {"partial scaled to judge.toml",
       {ExtractStatus::kOk, ok, ok, Report(3, 10), 100},
       false,
       "partial",
       30},
      {"zero is wrong answer",
       {ExtractStatus::kOk, ok, ok, Report(0, 100), 100},
       false,
       "wrong_answer",
       0},
      {"judge names runtime error",
       {ExtractStatus::kOk, ok, ok, Report(0, 100, "runtime_error"), 100},
       false,
       "runtime_error",
       0},
      {"judge names time limit",
       {ExtractStatus::kOk, ok, ok, Report(0, 100, "time_limit"), 100},
       false,
       "time_limit",
       0},
      {"full score beats a named failure",
       {ExtractStatus::kOk, ok, ok, Report(100, 100, "runtime_error"), 100},
       false,
       "accepted",
       100},
      {"judge exits non-zero but wrote a result",
       {ExtractStatus::kOk, ok, Exit(1), Report(50, 100), 100},
       false,
       "partial",
       50},
      {"compile error",
       {ExtractStatus::kOk, Exit(1), std::nullopt, std::nullopt, 100},
       false,
       "compile_error",
       0},
      {"compiler killed",
       {ExtractStatus::kOk, Signal(11), std::nullopt, std::nullopt, 100},
       false,
       "compile_error",
       0},
      {"build out of time",
       {ExtractStatus::kOk, wall, std::nullopt, std::nullopt, 100},
       false,
       "compile_error",
       0},
      {"build out of memory",
       {ExtractStatus::kOk, oom, std::nullopt, std::nullopt, 100},
       false,
       "compile_error",
       0},
      {"memory limit from OOM count",
       {ExtractStatus::kOk, ok, oom, std::nullopt, 100},
       false,
       "memory_limit",
       0},
      {"memory limit beats result",
       {ExtractStatus::kOk, ok, oom, Report(100, 100), 100},
       false,
       "memory_limit",
       0},
      {"cpu limit", {ExtractStatus::kOk, ok, cpu, std::nullopt, 100}, false, "time_limit", 0},
      {"wall limit", {ExtractStatus::kOk, ok, wall, Report(50, 100), 100}, false, "time_limit", 0},
      {"output limit", {ExtractStatus::kOk, ok, out, std::nullopt, 100}, false, "output_limit", 0},
      {"bad archive",
       {ExtractStatus::kRefused, std::nullopt, std::nullopt, std::nullopt, 100},
       false,
       "bad_archive",
       0},
      {"archive bomb",
       {ExtractStatus::kLimit, std::nullopt, std::nullopt, std::nullopt, 100},
       false,
       "bad_archive",
       0},
      {"extraction sandbox failed",
       {ExtractStatus::kFailed, std::nullopt, std::nullopt, std::nullopt, 100},
       true,
       "",
       0},
      {"build sandbox failed",
       {ExtractStatus::kOk, broken, std::nullopt, std::nullopt, 100},
       true,
       "",
       0},
      {"test sandbox failed", {ExtractStatus::kOk, ok, broken, std::nullopt, 100}, true, "", 0},
      {"judge wrote nothing, exit 0", {ExtractStatus::kOk, ok, ok, std::nullopt, 100}, true, "", 0},
      {"judge crashed", {ExtractStatus::kOk, ok, Signal(11), std::nullopt, 100}, true, "", 0},
      {"judge exit 2 without result",
       {ExtractStatus::kOk, ok, Exit(2), std::nullopt, 100},
       true,
       "",
       0},
      {"test never ran", {ExtractStatus::kOk, ok, std::nullopt, std::nullopt, 100}, true, "", 0},
  };
  for (const Case& c : cases) {
    Decision v = DecideVerdict(c.in);
    EXPECT_EQ(v.judge_error, c.judge_error) << c.name;
    if (!c.judge_error) {
      EXPECT_EQ(v.verdict, c.verdict) << c.name;
      EXPECT_DOUBLE_EQ(v.score, c.score) << c.name;
      EXPECT_DOUBLE_EQ(v.max_score, c.in.max_score) << c.name;
    }
  }
}

TEST(VerdictTest, ResultJsonAccepted) {
  const char* good[] = {
      R"({"score": 10, "max_score": 10})",
      R"({"score": 0, "max_score": 10, "tests": []})",
      R"({"score": 5.5, "max_score": 10, "tests": [{"name": "t1", "passed": true}]})",
      R"({"score": 1, "max_score": 2, "tests": [{"name": "t", "passed": false, "message": "x"}]})",
      R"({"score": 0, "max_score": 2, "verdict": "runtime_error"})",
      R"({"score": 0, "max_score": 2, "verdict": null})",
  };
  for (const char* g : good) EXPECT_TRUE(ParseResultJson(g).ok()) << g;
}

TEST(VerdictTest, ResultJsonRefused) {
  const char* bad[] = {
      "",
      "[]",
      "not json",
      R"({"max_score": 10})",
      R"({"score": "10", "max_score": 10})",
      R"({"score": 11, "max_score": 10})",
      R"({"score": -1, "max_score": 10})",
      R"({"score": 1, "max_score": 10, "tests": {}})",
      R"({"score": 1, "max_score": 10, "tests": [{"name": "t"}]})",
      R"({"score": 1, "max_score": 10, "tests": [1]})",
      R"({"score": 0, "max_score": 10, "verdict": "accepted"})",
      R"({"score": 0, "max_score": 10, "verdict": 3})",
      R"({"score": 0, "max_score": 1, "tests": [{"name": "t", "passed": true, "score": "1"}]})",
      R"({"score": 0, "max_score": 1, "tests": [{"name": "t", "passed": true, "time_ms": -1}]})",
      R"({"score": 0, "max_score": 9, "tests": [{"name": "t", "passed": true, "score": 3,
          "max_score": 2}]})",
  };
  for (const char* b : bad) EXPECT_FALSE(ParseResultJson(b).ok()) << b;
}

// What a judge reports per test reaches test_results as it was given: its figures, in order.
TEST(VerdictTest, ResultJsonKeepsEachTestsFigures) {
  auto r = ParseResultJson(
      R"({"score": 3, "max_score": 10, "tests": [
           {"name": "a", "passed": true, "score": 3, "max_score": 5, "time_ms": 12, "memory_kb": 900},
           {"name": "b", "passed": false, "score": null}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->tests.size(), 2u);
  EXPECT_EQ(r->tests[0].seq, 1u);
  EXPECT_EQ(r->tests[0].score, 3.0);
  EXPECT_EQ(r->tests[0].max_score, 5.0);
  EXPECT_EQ(r->tests[0].time_ms, 12u);
  EXPECT_EQ(r->tests[0].memory_kb, 900u);
  EXPECT_EQ(r->tests[1].seq, 2u);
  EXPECT_FALSE(r->tests[1].score);
  EXPECT_FALSE(r->tests[1].time_ms);
}

TEST(VerdictTest, ResultJsonBounds) {
  std::string many = R"({"score": 0, "max_score": 1, "tests": [)";
  for (size_t i = 0; i <= kMaxTests; ++i)
    many += std::string(i ? "," : "") + R"({"name":"t","passed":true})";
  many += "]}";
  EXPECT_FALSE(ParseResultJson(many).ok());
  std::string long_msg = R"({"score": 0, "max_score": 1, "tests": [{"name":")" +
                         std::string(1000, 'n') + R"(","passed":false,"message":")" +
                         std::string(10000, 'm') + R"("}]})";
  auto r = ParseResultJson(long_msg);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tests[0].name.size(), kTestNameMax);
  EXPECT_EQ(r->tests[0].message.size(), kTestMessageMax);
  EXPECT_FALSE(ParseResultJson(std::string(kResultJsonMaxBytes + 1, ' ')).ok());
}

// A judge echoing the student's bytes must not turn the submission into a judge error:
// invalid text in a string becomes U+FFFD and the report is kept.
TEST(VerdictTest, ResultJsonWithInvalidTextIsKept) {
  const std::string fffd = "\xEF\xBF\xBD";
  struct {
    const char* name;
    std::string json;
    std::string test_name;
    std::string message;
  } cases[] = {
      {"raw invalid bytes in a name",
       "{\"score\":0,\"max_score\":1,\"tests\":[{\"name\":\"t\xff\xfe\",\"passed\":false}]}",
       "t" + fffd + fffd, ""},
      {"raw invalid bytes in a message",
       "{\"score\":0,\"max_score\":1,\"tests\":[{\"name\":\"t\",\"passed\":false,"
       "\"message\":\"got \xC3\x28 here\"}]}",
       "t", "got " + fffd + "( here"},
      {"truncated sequence before the quote",
       "{\"score\":0,\"max_score\":1,\"tests\":[{\"name\":\"t\xE2\x82\",\"passed\":true}]}",
       "t" + fffd, ""},
      {"Python's surrogate-escaped byte",
       R"({"score":0,"max_score":1,"tests":[{"name":"t","passed":false,"message":"a\udcffb"}]})",
       "t", "a" + fffd + "b"},
      {"lone high surrogate escape",
       R"({"score":0,"max_score":1,"tests":[{"name":"\ud83d","passed":false}]})", fffd, ""},
      {"high surrogate escape then a letter",
       R"({"score":0,"max_score":1,"tests":[{"name":"\ud83dx","passed":false}]})", fffd + "x", ""},
      {"a valid surrogate pair stays",
       R"({"score":0,"max_score":1,"tests":[{"name":"\ud83d\ude00","passed":false}]})",
       "\xF0\x9F\x98\x80", ""},
      {"escaped backslash before u is not an escape",
       R"({"score":0,"max_score":1,"tests":[{"name":"\\udcff","passed":false}]})", "\\udcff", ""},
      {"escaped quote keeps the string open",
       R"({"score":0,"max_score":1,"tests":[{"name":"q\"\udcff","passed":false}]})", "q\"" + fffd,
       ""},
  };
  for (const auto& c : cases) {
    auto r = ParseResultJson(c.json);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().message();
    ASSERT_EQ(r->tests.size(), 1u) << c.name;
    EXPECT_EQ(r->tests[0].name, c.test_name) << c.name;
    EXPECT_EQ(r->tests[0].message, c.message) << c.name;
  }
  // Outside strings, invalid bytes are still not JSON.
  EXPECT_FALSE(ParseResultJson("{\"score\":0,\xff\"max_score\":1}").ok());
}

TEST(VerdictTest, ResultJsonCutsKeepCharactersWhole) {
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "\xE2\x82\xAC";  // 300 bytes, 3 each
  auto r = ParseResultJson(R"({"score": 0, "max_score": 1, "tests": [{"name":")" + euros +
                           R"(","passed":false,"message":")" + euros + R"("}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tests[0].name.size(), kTestNameMax / 3 * 3);  // 198: no half euro
  EXPECT_EQ(r->tests[0].message, euros);
}

}  // namespace
}  // namespace oj::runner
