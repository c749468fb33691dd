#include "core/replica.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

TEST(ReplicaTest, UsableOnlyWhenReplicatingWithinTheLagBound) {
  struct Case {
    ReplicaState s;
    const char* reason_has;  // "" = usable
  };
  ReplicaState ok{true, true, true, true, 3, ""};
  ReplicaState down = ok;
  down.reachable = false;
  ReplicaState primary_only = ok;
  primary_only.is_replica = false;
  ReplicaState io_stopped = ok;
  io_stopped.io_running = false;
  ReplicaState sql_stopped = ok;
  sql_stopped.sql_running = false;
  ReplicaState unknown = ok;
  unknown.seconds_behind.reset();
  ReplicaState at_bound = ok;
  at_bound.seconds_behind = 30;
  ReplicaState lagging = ok;
  lagging.seconds_behind = 31;
  const Case cases[] = {
      {ok, ""},
      {at_bound, ""},
      {down, "unreachable"},
      {primary_only, "not replicating"},
      {io_stopped, "IO thread"},
      {sql_stopped, "SQL thread"},
      {unknown, "unknown"},
      {lagging, "lags 31 s"},
  };
  for (const Case& c : cases) {
    std::string why = ReplicaUnusableReason(c.s, 30);
    if (*c.reason_has == '\0') {
      EXPECT_EQ(why, "");
    } else {
      EXPECT_NE(why.find(c.reason_has), std::string::npos) << why;
    }
  }
}

TEST(ReplicaTest, ConfigCopiesCredentialsAndNeedsAHost) {
  DatabaseConfig p;
  p.user = "oj";
  p.password = "a-password-longer-than-sso";
  EXPECT_FALSE(ReplicaDatabaseConfig(p).has_value());
  p.replica_host = "198.18.9.9";
  p.replica_port = 3310;
  auto r = ReplicaDatabaseConfig(p);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->host, "198.18.9.9");
  EXPECT_EQ(r->port, 3310);
  EXPECT_EQ(r->user, "oj");
  EXPECT_EQ(r->password, "a-password-longer-than-sso");
  EXPECT_TRUE(r->socket.empty());
}

TEST(ReplicaTest, UnreachableReplicaIsRecheckedWithBackoff) {
  using ms = std::chrono::milliseconds;
  struct Case {
    ms previous;
    bool reachable;
    ms want;
  } cases[] = {
      {ms(0), false, ms(1000)},    {ms(1000), false, ms(2000)}, {ms(2000), false, ms(4000)},
      {ms(4000), false, ms(8000)}, {ms(8000), false, ms(8000)}, {ms(8000), true, ms(1000)},
      {ms(0), true, ms(1000)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NextReplicaCheck(c.previous, ms(1000), c.reachable), c.want)
        << c.previous.count() << " " << c.reachable;
  }
}

TEST(ReplicaTest, RouterFallsBackToThePrimaryWhenTheReplicaIsDown) {
  DatabaseConfig p;
  p.replica_host = "127.0.0.1";
  p.replica_port = 1;  // nothing listens: unreachable
  Database primary(p);
  auto t = std::chrono::steady_clock::time_point{};
  ReadRouter r(&primary, p, std::chrono::milliseconds(1000), [&] { return t; });
  EXPECT_EQ(&r.ForRead(), &primary);
  EXPECT_FALSE(r.using_replica());
  EXPECT_NE(r.last_reason().find("unreachable"), std::string::npos);
  DatabaseConfig none;
  ReadRouter plain(&primary, none);
  EXPECT_EQ(&plain.ForRead(), &primary);
}

}  // namespace
}  // namespace oj
