#include "ops/watchdog/replica_check.h"

#include <gtest/gtest.h>

namespace oj::watchdog {
namespace {

TEST(ReplicaCheckTest, RunningAndLagSamples) {
  ReplicaState ok{true, true, true, true, 3, ""};
  ReplicaState down = ok;
  down.reachable = false;
  down.error = "cannot connect to database 'oj' at 198.18.9.9:3306: refused";
  ReplicaState no_monitor = down;
  no_monitor.error = "replica status failed: Access denied; you need SLAVE MONITOR";
  ReplicaState not_replica = ok;
  not_replica.is_replica = false;
  ReplicaState io_stopped = ok;
  io_stopped.io_running = false;
  io_stopped.seconds_behind.reset();
  ReplicaState sql_stopped = ok;
  sql_stopped.sql_running = false;
  sql_stopped.seconds_behind.reset();
  ReplicaState lag_null = ok;
  lag_null.seconds_behind.reset();
  ReplicaState at_bound = ok;
  at_bound.seconds_behind = 30;
  ReplicaState lagging = ok;
  lagging.seconds_behind = 31;
  struct Case {
    const char* name;
    ReplicaState s;
    Observation running, lag;
    const char* running_detail_has;
  };
  const Case cases[] = {
      {"healthy", ok, Observation::kOk, Observation::kOk, "replicating"},
      {"unreachable", down, Observation::kOver, Observation::kUnknown, "refused"},
      {"no SLAVE MONITOR grant", no_monitor, Observation::kOver, Observation::kUnknown,
       "SLAVE MONITOR"},
      {"not a replica", not_replica, Observation::kOver, Observation::kUnknown, "not replicating"},
      {"IO thread stopped", io_stopped, Observation::kOver, Observation::kUnknown, "IO thread"},
      {"SQL thread stopped", sql_stopped, Observation::kOver, Observation::kUnknown, "SQL thread"},
      {"lag NULL while running", lag_null, Observation::kOk, Observation::kUnknown, "replicating"},
      {"lag at the bound", at_bound, Observation::kOk, Observation::kOk, "replicating"},
      {"lag over the bound", lagging, Observation::kOk, Observation::kOver, "replicating"},
  };
  for (const Case& c : cases) {
    auto out = ReplicaSamples(c.s, 30);
    ASSERT_EQ(out.size(), 2u) << c.name;
    EXPECT_EQ(out[0].check, "replica_running");
    EXPECT_EQ(out[1].check, "replica_lag");
    EXPECT_EQ(out[0].obs, c.running) << c.name << ": " << out[0].detail;
    EXPECT_EQ(out[1].obs, c.lag) << c.name << ": " << out[1].detail;
    EXPECT_NE(out[0].detail.find(c.running_detail_has), std::string::npos)
        << c.name << ": " << out[0].detail;
    EXPECT_EQ(out[1].threshold, "30");
  }
  auto lag = ReplicaSamples(lagging, 30)[1];
  EXPECT_EQ(lag.value, "31");
  EXPECT_NE(lag.detail.find("31 > 30"), std::string::npos) << lag.detail;
  EXPECT_NE(lag.detail.find("reads use the primary"), std::string::npos) << lag.detail;
}

TEST(ReplicaCheckTest, OnlyWhenAReplicaIsConfigured) {
  DatabaseConfig none;
  EXPECT_EQ(ReplicaCheck::For(none), nullptr);
  DatabaseConfig with;
  with.replica_socket = "/nonexistent/replica.sock";
  auto check = ReplicaCheck::For(with);
  ASSERT_NE(check, nullptr);
  std::vector<Sample> out;
  check->Run(&out);  // nothing listens there: unreachable, fires
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].obs, Observation::kOver);
  EXPECT_EQ(out[1].obs, Observation::kUnknown);
}

}  // namespace
}  // namespace oj::watchdog
