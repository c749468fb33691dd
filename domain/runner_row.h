#pragma once
// A judge runner as the runners table shows it (docs/contract.md §5.1): read by the
// metrics endpoint, the watchdog and `ojctl queue`. One type for all of them.

#include <cstdint>
#include <string>

#include "core/clock.h"

namespace oj {

struct RunnerRow {
  std::string id;
  std::string host;
  uint32_t slot = 0;
  std::string state;          // idle, judging, self_test, held, disabled
  std::string reason;         // why held or disabled
  std::string submission_id;  // the job it is judging, if any
  SysTime heartbeat_at;       // by the database's clock
  double heartbeat_age_s = 0;
  uint32_t internal_errors = 0;
};

}  // namespace oj
