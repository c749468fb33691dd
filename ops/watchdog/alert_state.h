// The life of one check's alert, as a pure function (table-tested in
// alert_state_test.cc):
//
//   ok ──over──▶ pending ──over for `for`──▶ firing ──not over──▶ ok
//    ▲              │                          │  (one "resolved" message)
//    └──not over────┘                          └─ still over: "repeat" every `repeat`
//
// With for = 0 a check fires on its first sample over the threshold. A sample that
// cannot be taken (kUnknown: the database is down for a database check, a file is
// missing) changes nothing: the probe reports an unreachable database, and a check
// should neither fire nor resolve on what it could not see.
//
// Event checks (a crash, a restart: over in the moment, recovered before any `for`
// could pass) have their own life, StepEvent: kOver means "a new event since the
// last cycle". The first event fires at once; later events keep it firing (repeat
// every `repeat` while they go on); `quiet` without a new event resolves it.
//
//   ok ──event──▶ firing ──no event for `quiet`──▶ ok (one "resolved" message)
#pragma once

#include <chrono>
#include <string_view>

namespace oj::watchdog {

using Clock = std::chrono::steady_clock;

enum class AlertState { kOk, kPending, kFiring };
enum class Observation { kOk, kOver, kUnknown };
enum class Notify { kNone, kFiring, kRepeat, kResolved };

struct CheckState {
  AlertState state = AlertState::kOk;
  Clock::time_point since{};       // when the current state began
  Clock::time_point last_sent{};   // last firing/repeat message (firing only)
  Clock::time_point last_event{};  // last event seen (event checks, firing only)
};

struct Transition {
  CheckState next;
  Notify notify = Notify::kNone;
};

struct AlertTiming {
  std::chrono::seconds for_duration{10};  // over this long before firing
  std::chrono::seconds repeat{1800};      // repeat interval while firing
};

Transition Step(const CheckState& current, Observation obs, Clock::time_point now,
                const AlertTiming& timing);

// REQUIRES: quiet > 0.
Transition StepEvent(const CheckState& current, Observation obs, Clock::time_point now,
                     std::chrono::seconds quiet, std::chrono::seconds repeat);

std::string_view StateName(AlertState s);  // ok, pending, firing
std::string_view NotifyName(Notify n);     // none, firing, repeat, resolved

}  // namespace oj::watchdog
