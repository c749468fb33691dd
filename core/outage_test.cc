#include "core/outage.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// Minute 1000 starts at Unix time 60000.
constexpr int64_t kM = 1000;
SysTime At(int64_t minute, int64_t sec = 0) { return MinuteStart(minute) + seconds(sec); }

LedgerConfig Rule() { return LedgerConfig{}; }  // defaults: any failed probe; uploads >= 3 at 50 %

TEST(OutageTest, MinuteOfAndStartRoundTrip) {
  EXPECT_EQ(MinuteOf(At(kM)), kM);
  EXPECT_EQ(MinuteOf(At(kM, 59)), kM);
  EXPECT_EQ(MinuteOf(At(kM, 60)), kM + 1);
  EXPECT_EQ(MinuteOf(At(kM) - std::chrono::microseconds(1)), kM - 1);
}

TEST(OutageTest, MinuteUnavailableTable) {
  struct Case {
    MinuteSample m;
    double probe_pct;
    bool unavailable;
  } cases[] = {
      {{kM, 12, 0, 0, 0}, 0.0, false},   // all probes fine, no uploads
      {{kM, 12, 1, 0, 0}, 0.0, true},    // one failed probe: any failure counts by default
      {{kM, 12, 1, 0, 0}, 10.0, false},  // 8.3 % is not over 10 %
      {{kM, 12, 2, 0, 0}, 10.0, true},   // 16.7 % is
      {{kM, 0, 0, 0, 0}, 0.0, false},    // no observation at all
      {{kM, 12, 0, 4, 2}, 0.0, true},    // half the uploads 5xx (>= 50 %)
      {{kM, 12, 0, 4, 1}, 0.0, false},   // a quarter
      {{kM, 12, 0, 2, 2}, 0.0, false},   // too few uploads to judge (< 3)
      {{kM, 12, 0, 3, 3}, 0.0, true},
  };
  for (const Case& c : cases) {
    LedgerConfig r = Rule();
    r.probe_fail_percent = c.probe_pct;
    EXPECT_EQ(MinuteUnavailable(c.m, r), c.unavailable)
        << c.m.probes << "/" << c.m.probes_failed << " " << c.m.uploads << "/" << c.m.uploads_5xx
        << " at " << c.probe_pct;
  }
}

MinuteSample Down(int64_t minute) { return {minute, 12, 12, 0, 0}; }
MinuteSample Up(int64_t minute) { return {minute, 12, 0, 0, 0}; }

TEST(OutageTest, MergeIncidentsTable) {
  struct Case {
    const char* name;
    std::vector<MinuteSample> samples;
    std::optional<int64_t> latest;
    SysTime now;
    uint32_t settle_s;
    std::vector<Incident> want;
  } cases[] = {
      {"nothing", {}, kM + 5, At(kM + 5), 60, {}},
      {"healthy minutes only", {Up(kM), Up(kM + 1)}, kM + 1, At(kM + 2), 60, {}},
      {"one minute, seen again and settled",
       {Down(kM)},
       kM + 1,
       At(kM + 2),
       60,
       {{kM, kM + 1, true}}},
      {"one minute, seen again but not settled",
       {Down(kM)},
       kM + 1,
       At(kM + 1, 30),
       60,
       {{kM, kM + 1, false}}},
      {"settle 5 s", {Down(kM)}, kM + 1, At(kM + 1, 5), 5, {{kM, kM + 1, true}}},
      {"ongoing: nothing seen after it",
       {Down(kM), Down(kM + 1)},
       kM + 1,
       At(kM + 3),
       60,
       {{kM, kM + 2, false}}},
      {"consecutive minutes merge, order does not matter",
       {Down(kM + 2), Down(kM), Down(kM + 1)},
       kM + 3,
       At(kM + 4),
       60,
       {{kM, kM + 3, true}}},
      {"a healthy minute splits incidents",
       {Down(kM), Up(kM + 1), Down(kM + 2)},
       kM + 3,
       At(kM + 5),
       60,
       {{kM, kM + 1, true}, {kM + 2, kM + 3, true}}},
      {"a minute without a sample splits too",
       {Down(kM), Down(kM + 2)},
       kM + 3,
       At(kM + 5),
       60,
       {{kM, kM + 1, true}, {kM + 2, kM + 3, true}}},
      {"a minute journaled twice keeps its larger counts",
       {{kM, 3, 0, 0, 0}, {kM, 6, 2, 0, 0}},
       kM + 1,
       At(kM + 2),
       60,
       {{kM, kM + 1, true}}},
      {"no latest minute known", {Down(kM)}, std::nullopt, At(kM + 9), 60, {{kM, kM + 1, false}}},
  };
  for (const Case& c : cases) {
    auto got = MergeIncidents(c.samples, Rule(), c.latest, c.now, c.settle_s);
    ASSERT_EQ(got.size(), c.want.size()) << c.name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].start_minute, c.want[i].start_minute) << c.name;
      EXPECT_EQ(got[i].end_minute, c.want[i].end_minute) << c.name;
      EXPECT_EQ(got[i].over, c.want[i].over) << c.name;
    }
  }
}

TEST(OutageTest, GracePolicyNames) {
  for (GracePolicy p : {GracePolicy::kOff, GracePolicy::kSuggest, GracePolicy::kAuto}) {
    EXPECT_EQ(ParseGracePolicy(GracePolicyName(p)), p);
  }
  EXPECT_FALSE(ParseGracePolicy("Auto"));
  EXPECT_FALSE(ParseGracePolicy(""));
}

TEST(OutageTest, DecideGraceTable) {
  const Incident over{kM, kM + 3, true};  // 3 minutes lost, ended at kM + 3
  const Incident ongoing{kM, kM + 3, false};
  const uint32_t window = 3600;
  struct Case {
    const char* name;
    GracePolicy policy;
    SysTime deadline;
    bool closed;
    Incident incident;
    bool decided;
    GraceAction want;
  } cases[] = {
      {"suggest: deadline 10 min after", GracePolicy::kSuggest, At(kM + 13), false, over, false,
       GraceAction::kSuggest},
      {"auto: deadline 10 min after", GracePolicy::kAuto, At(kM + 13), false, over, false,
       GraceAction::kExtend},
      {"off", GracePolicy::kOff, At(kM + 13), false, over, false, GraceAction::kNone},
      {"deadline during the incident", GracePolicy::kAuto, At(kM + 1, 30), false, over, false,
       GraceAction::kExtend},
      {"deadline exactly at its start", GracePolicy::kSuggest, At(kM), false, over, false,
       GraceAction::kSuggest},
      {"deadline before the incident", GracePolicy::kAuto, At(kM) - seconds(1), false, over, false,
       GraceAction::kNone},
      {"deadline exactly at the window's end", GracePolicy::kSuggest, At(kM + 3) + seconds(window),
       false, over, false, GraceAction::kSuggest},
      {"deadline past the window", GracePolicy::kSuggest, At(kM + 3) + seconds(window + 1), false,
       over, false, GraceAction::kNone},
      {"incident not over yet", GracePolicy::kAuto, At(kM + 13), false, ongoing, false,
       GraceAction::kNone},
      {"already decided: never twice", GracePolicy::kAuto, At(kM + 13), false, over, true,
       GraceAction::kNone},
      {"module closed by staff", GracePolicy::kAuto, At(kM + 13), true, over, false,
       GraceAction::kNone},
  };
  for (const Case& c : cases) {
    GraceInput in{c.policy, c.deadline, c.closed, c.incident, c.decided, window};
    EXPECT_EQ(DecideGrace(in), c.want) << c.name;
  }
}

TEST(OutageTest, DecideLateAcceptTable) {
  const SysTime deadline = At(kM + 10);
  const uint32_t grace = 600;
  struct Case {
    const char* name;
    SysTime now;
    std::optional<SysTime> refused;
    bool stored_since;
    uint32_t grace_s;
    bool on_time;
  } cases[] = {
      {"refused before, first upload 1 min after the deadline", deadline + minutes(1), At(kM + 9),
       false, grace, true},
      {"refused long before, still the first upload since", deadline + minutes(1), At(kM - 100),
       false, grace, true},
      {"at the end of the grace", deadline + seconds(grace), At(kM + 9), false, grace, true},
      {"past the grace", deadline + seconds(grace + 1), At(kM + 9), false, grace, false},
      {"stored something since the refusal", deadline + minutes(1), At(kM + 9), true, grace, false},
      {"never refused", deadline + minutes(1), std::nullopt, false, grace, false},
      {"refused exactly at the deadline is not before it", deadline + minutes(1), deadline, false,
       grace, false},
      {"before the deadline: on time anyway, nothing to mark", deadline - minutes(1), At(kM + 5),
       false, grace, false},
      {"late accept off", deadline + minutes(1), At(kM + 9), false, 0, false},
  };
  for (const Case& c : cases) {
    auto got = DecideLateAccept({c.now, deadline, c.refused, c.stored_since, c.grace_s});
    EXPECT_EQ(got.has_value(), c.on_time) << c.name;
    if (got) {
      EXPECT_EQ(*got, *c.refused) << c.name;
    }
  }
}

TEST(OutageTest, LateAcceptCandidateTable) {
  UploadTarget ok;
  ok.token_found = ok.token_enabled = ok.course_found = true;
  ok.student_id = 7;
  ok.student_course_id = ok.course_id = 3;
  ModuleRow m;
  m.id = 9;
  m.code = "PA1";
  m.opens_at = At(kM - 100);
  m.deadline = At(kM + 10);
  m.size_limit_bytes = 1000;
  ok.module = m;
  const SysTime after = At(kM + 11);
  struct Case {
    const char* name;
    UploadTarget t;
    SysTime now;
    uint64_t size;
    bool want;
  } cases[] = {
      {"past the deadline, within grace", ok, after, 10, true},
      {"before the deadline", ok, At(kM + 9), 10, false},
      {"past the grace", ok, At(kM + 10) + seconds(601), 10, false},
      {"file over the module's limit", ok, after, 1001, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(LateAcceptCandidate(c.t, c.now, c.size, 600), c.want) << c.name;
  }
  UploadTarget closed = ok;
  closed.module->closed = true;
  EXPECT_FALSE(LateAcceptCandidate(closed, after, 10, 600)) << "closed by staff";
  UploadTarget disabled = ok;
  disabled.token_enabled = false;
  EXPECT_FALSE(LateAcceptCandidate(disabled, after, 10, 600)) << "disabled token";
  UploadTarget other_course = ok;
  other_course.student_course_id = 4;
  EXPECT_FALSE(LateAcceptCandidate(other_course, after, 10, 600)) << "token of another course";
  UploadTarget no_module = ok;
  no_module.module.reset();
  EXPECT_FALSE(LateAcceptCandidate(no_module, after, 10, 600)) << "unknown module";
  EXPECT_FALSE(LateAcceptCandidate(ok, after, 10, 0)) << "late accept off";
}

}  // namespace
}  // namespace oj
