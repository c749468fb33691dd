#include "ops/watchdog/alert_state.h"

#include <gtest/gtest.h>

#include <ostream>
#include <vector>

namespace oj::watchdog {
namespace {

using std::chrono::seconds;
constexpr Observation kO = Observation::kOk;
constexpr Observation kX = Observation::kOver;
constexpr Observation kU = Observation::kUnknown;

struct Case {
  const char* name;
  AlertTiming timing;
  // One sample per second from t=0.
  std::vector<Observation> samples;
  std::vector<Notify> expected;  // notification after each sample
  AlertState final_state;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class AlertStateTest : public ::testing::TestWithParam<Case> {};

TEST_P(AlertStateTest, Sequence) {
  const Case& c = GetParam();
  ASSERT_EQ(c.samples.size(), c.expected.size()) << c.name;
  CheckState s;
  Clock::time_point t0{};
  for (size_t i = 0; i < c.samples.size(); ++i) {
    Transition tr = Step(s, c.samples[i], t0 + seconds(static_cast<int>(i)), c.timing);
    EXPECT_EQ(NotifyName(tr.notify), NotifyName(c.expected[i])) << c.name << " sample " << i;
    s = tr.next;
  }
  EXPECT_EQ(StateName(s.state), StateName(c.final_state)) << c.name;
}

constexpr Notify N = Notify::kNone;
constexpr Notify F = Notify::kFiring;
constexpr Notify R = Notify::kRepeat;
constexpr Notify Z = Notify::kResolved;

INSTANTIATE_TEST_SUITE_P(
    Table, AlertStateTest,
    ::testing::Values(
        Case{"stays ok", {seconds(2), seconds(60)}, {kO, kO, kO}, {N, N, N}, AlertState::kOk},
        Case{"one slow sample pages nobody",
             {seconds(2), seconds(60)},
             {kO, kX, kO, kO},
             {N, N, N, N},
             AlertState::kOk},
        Case{"pending then fires after for",
             {seconds(2), seconds(60)},
             {kX, kX, kX},
             {N, N, F},
             AlertState::kFiring},
        Case{"for zero fires at once", {seconds(0), seconds(60)}, {kX}, {F}, AlertState::kFiring},
        Case{"resolves once",
             {seconds(1), seconds(60)},
             {kX, kX, kO, kO},
             {N, F, Z, N},
             AlertState::kOk},
        Case{"repeats while firing",
             {seconds(0), seconds(2)},
             {kX, kX, kX, kX, kX},
             {F, N, R, N, R},
             AlertState::kFiring},
        Case{"unknown changes nothing while firing",
             {seconds(0), seconds(60)},
             {kX, kU, kU, kX},
             {F, N, N, N},
             AlertState::kFiring},
        Case{"unknown does not resolve or fire",
             {seconds(1), seconds(60)},
             {kU, kX, kU, kU},
             {N, N, N, N},
             AlertState::kPending},
        Case{"pending clock restarts after ok",
             {seconds(2), seconds(60)},
             {kX, kX, kO, kX, kX, kX},
             {N, N, N, N, N, F},
             AlertState::kFiring},
        Case{"fires again after resolving",
             {seconds(0), seconds(60)},
             {kX, kO, kX},
             {F, Z, F},
             AlertState::kFiring}),
    [](const ::testing::TestParamInfo<Case>& info) { return "case" + std::to_string(info.index); });

// Event checks: one sample per second from t=0; kX = a new event in that cycle.
struct EventCase {
  const char* name;
  int quiet_s;
  int repeat_s;
  std::vector<Observation> samples;
  std::vector<Notify> expected;
  AlertState final_state;
};

void PrintTo(const EventCase& c, std::ostream* os) { *os << c.name; }

class EventStateTest : public ::testing::TestWithParam<EventCase> {};

TEST_P(EventStateTest, Sequence) {
  const EventCase& c = GetParam();
  ASSERT_EQ(c.samples.size(), c.expected.size()) << c.name;
  CheckState s;
  Clock::time_point t0{};
  for (size_t i = 0; i < c.samples.size(); ++i) {
    Transition tr = StepEvent(s, c.samples[i], t0 + seconds(static_cast<int>(i)),
                              seconds(c.quiet_s), seconds(c.repeat_s));
    EXPECT_EQ(NotifyName(tr.notify), NotifyName(c.expected[i])) << c.name << " sample " << i;
    s = tr.next;
  }
  EXPECT_EQ(StateName(s.state), StateName(c.final_state)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, EventStateTest,
    ::testing::Values(
        EventCase{"no event stays ok", 3, 60, {kO, kO, kU}, {N, N, N}, AlertState::kOk},
        EventCase{"an event fires at once, without pending", 3, 60, {kX}, {F}, AlertState::kFiring},
        EventCase{"resolves after the quiet period",
                  3,
                  60,
                  {kX, kO, kO, kO, kO},
                  {F, N, N, Z, N},
                  AlertState::kOk},
        EventCase{"a new event restarts the quiet period",
                  3,
                  60,
                  {kX, kO, kX, kO, kO, kO},
                  {F, N, N, N, N, Z},
                  AlertState::kOk},
        EventCase{"unknown neither fires nor resolves",
                  2,
                  60,
                  {kU, kX, kU, kU, kU},
                  {N, F, N, N, N},
                  AlertState::kFiring},
        EventCase{"resolves on the first known quiet sample",
                  2,
                  60,
                  {kX, kU, kU, kO},
                  {F, N, N, Z},
                  AlertState::kOk},
        EventCase{"events going on repeat every repeat",
                  10,
                  2,
                  {kX, kX, kX, kX, kX},
                  {F, N, R, N, R},
                  AlertState::kFiring},
        EventCase{
            "fires again after resolving", 1, 60, {kX, kO, kX}, {F, Z, F}, AlertState::kFiring}),
    [](const ::testing::TestParamInfo<EventCase>& info) {
      return "case" + std::to_string(info.index);
    });

}  // namespace
}  // namespace oj::watchdog
