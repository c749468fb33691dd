#include "ops/watchdog/alert_state.h"

namespace oj::watchdog {

Transition Step(const CheckState& cur, Observation obs, Clock::time_point now,
                const AlertTiming& timing) {
  Transition t{cur, Notify::kNone};
  if (obs == Observation::kUnknown) return t;
  bool over = obs == Observation::kOver;
  switch (cur.state) {
    case AlertState::kOk:
      if (!over) return t;
      t.next.since = now;
      if (timing.for_duration.count() == 0) {
        t.next.state = AlertState::kFiring;
        t.next.last_sent = now;
        t.notify = Notify::kFiring;
      } else {
        t.next.state = AlertState::kPending;
      }
      return t;
    case AlertState::kPending:
      if (!over) {
        t.next = CheckState{AlertState::kOk, now, {}};
        return t;
      }
      if (now - cur.since >= timing.for_duration) {
        t.next = CheckState{AlertState::kFiring, now, now};
        t.notify = Notify::kFiring;
      }
      return t;
    case AlertState::kFiring:
      if (!over) {
        t.next = CheckState{AlertState::kOk, now, {}};
        t.notify = Notify::kResolved;
        return t;
      }
      if (now - cur.last_sent >= timing.repeat) {
        t.next.last_sent = now;
        t.notify = Notify::kRepeat;
      }
      return t;
  }
  return t;
}

Transition StepEvent(const CheckState& cur, Observation obs, Clock::time_point now,
                     std::chrono::seconds quiet, std::chrono::seconds repeat) {
  Transition t{cur, Notify::kNone};
  if (obs == Observation::kUnknown) return t;
  bool event = obs == Observation::kOver;
  if (cur.state != AlertState::kFiring) {  // an event check is never pending
    if (!event) return t;
    t.next = CheckState{AlertState::kFiring, now, now, now};
    t.notify = Notify::kFiring;
    return t;
  }
  if (event) {
    t.next.last_event = now;
    if (now - cur.last_sent >= repeat) {
      t.next.last_sent = now;
      t.notify = Notify::kRepeat;
    }
    return t;
  }
  if (now - cur.last_event >= quiet) {
    t.next = CheckState{AlertState::kOk, now, {}, {}};
    t.notify = Notify::kResolved;
  }
  return t;
}

std::string_view StateName(AlertState s) {
  switch (s) {
    case AlertState::kOk:
      return "ok";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "?";
}

std::string_view NotifyName(Notify n) {
  switch (n) {
    case Notify::kNone:
      return "none";
    case Notify::kFiring:
      return "firing";
    case Notify::kRepeat:
      return "repeat";
    case Notify::kResolved:
      return "resolved";
  }
  return "?";
}

}  // namespace oj::watchdog
