#include "ops/watchdog/event_checks.h"

#include <gtest/gtest.h>

namespace oj::watchdog {
namespace {

constexpr Observation kO = Observation::kOk;
constexpr Observation kX = Observation::kOver;
constexpr Observation kU = Observation::kUnknown;

std::optional<PoolState> Pool(pid_t pid, double started, uint64_t crashes) {
  return PoolState{pid, started, crashes, "worker 9 (slot 1) died: signal Killed"};
}

TEST(EventChecksTest, PoolCrashesAndMasterRestart) {
  struct {
    const char* name;
    std::optional<PoolState> prev, cur;
    Observation crashes;
    const char* crash_value;
    Observation restart;
  } cases[] = {
      {"first look is a baseline", std::nullopt, Pool(10, 1.0, 5), kO, "0", kO},
      {"nothing new", Pool(10, 1.0, 5), Pool(10, 1.0, 5), kO, "0", kO},
      {"two workers died", Pool(10, 1.0, 5), Pool(10, 1.0, 7), kX, "2", kO},
      {"new master, no crash yet", Pool(10, 1.0, 5), Pool(11, 2.0, 0), kO, "0", kX},
      {"new master, crashes of its own", Pool(10, 1.0, 5), Pool(11, 2.0, 1), kX, "1", kX},
      {"pid reused by a new master", Pool(10, 1.0, 0), Pool(10, 9.0, 0), kO, "0", kX},
      {"no state file", Pool(10, 1.0, 5), std::nullopt, kU, "", kU},
  };
  for (const auto& c : cases) {
    Sample a = PoolCrashes(c.prev, c.cur, "run/fcgi.state");
    Sample b = MasterRestart(c.prev, c.cur, "run/fcgi.state");
    EXPECT_EQ(a.obs, c.crashes) << c.name;
    EXPECT_EQ(a.value, c.crash_value) << c.name;
    EXPECT_EQ(b.obs, c.restart) << c.name;
    EXPECT_TRUE(a.event && b.event) << c.name;
  }
  Sample a = PoolCrashes(Pool(10, 1.0, 5), Pool(10, 1.0, 7), "f");
  EXPECT_NE(a.detail.find("2 FastCGI worker(s) died"), std::string::npos) << a.detail;
  EXPECT_NE(a.detail.find("signal Killed"), std::string::npos) << a.detail;
  Sample b = MasterRestart(Pool(10, 1.0, 5), Pool(11, 2.0, 0), "f");
  EXPECT_NE(b.detail.find("pid 10 is now pid 11"), std::string::npos) << b.detail;
}

TEST(EventChecksTest, DatabaseRestart) {
  struct {
    const char* name;
    std::optional<double> prev, cur;
    std::optional<uint64_t> uptime;
    Observation expected;
  } cases[] = {
      {"first look", std::nullopt, 100.0, 500, kO},
      {"same start", 100.0, 100.0, 600, kO},
      {"jitter within slack", 100.0, 102.0, 598, kO},
      {"earlier estimate", 100.0, 99.2, 601, kO},
      {"restarted", 100.0, 700.0, 3, kX},
      {"unreachable", 100.0, std::nullopt, std::nullopt, kU},
  };
  for (const auto& c : cases) {
    Sample s = DatabaseRestart(c.prev, c.cur, c.uptime, "database unreachable: x");
    EXPECT_EQ(s.obs, c.expected) << c.name;
    EXPECT_TRUE(s.event);
  }
  EXPECT_EQ(DatabaseRestart(100.0, std::nullopt, std::nullopt, "database unreachable: x").detail,
            "database unreachable: x");
}

TEST(EventChecksTest, RunnerRestarts) {
  using V = std::vector<RunnerStart>;
  V one{{"h:1", "2025-01-01 10:00:00.000000", 100}};
  V one_restarted{{"h:1", "2025-01-01 10:05:00.000000", 200}};
  V two{{"h:1", "2025-01-01 10:00:00.000000", 100}, {"h:2", "2025-01-01 10:01:00.000000", 101}};
  V old_runner{{"h:1", "", 0}};
  struct {
    const char* name;
    std::optional<V> prev, cur;
    Observation expected;
  } cases[] = {
      {"first look", std::nullopt, one, kO},
      {"unchanged", one, one, kO},
      {"restarted", one, one_restarted, kX},
      {"a new runner joins", one, two, kO},
      {"a runner row goes away", two, one, kO},
      {"a runner before migration 0004", old_runner, one, kO},
      {"database down", one, std::nullopt, kU},
  };
  for (const auto& c : cases)
    EXPECT_EQ(RunnerRestarts(c.prev, c.cur, "db").obs, c.expected) << c.name;
  Sample s = RunnerRestarts(one, one_restarted, "db");
  EXPECT_NE(s.detail.find("h:1 (pid 100 -> 200"), std::string::npos) << s.detail;
}

TEST(EventChecksTest, OomKills) {
  EXPECT_EQ(OomKills(std::nullopt, 7u).obs, kO);
  EXPECT_EQ(OomKills(7u, 7u).obs, kO);
  EXPECT_EQ(OomKills(7u, 9u).obs, kX);
  EXPECT_EQ(OomKills(7u, 9u).value, "2");
  EXPECT_EQ(OomKills(7u, std::nullopt).obs, kU);
  EXPECT_EQ(ParseVmstatOomKill("pgfault 1\noom_kill 26\npgmajfault 3\n"), 26u);
  EXPECT_EQ(ParseVmstatOomKill("oom_kill 4"), 4u);
  EXPECT_EQ(ParseVmstatOomKill("oom_kill_x 4\n"), std::nullopt);
  EXPECT_EQ(ParseVmstatOomKill("pgfault 1\n"), std::nullopt);
  EXPECT_EQ(ParseVmstatOomKill("oom_kill \n"), std::nullopt);
}

TEST(EventChecksTest, StubStatusAndSlowClients) {
  auto st = ParseStubStatus(
      "Active connections: 291 \nserver accepts handled requests\n 16630948 16630948 31070465 "
      "\nReading: 103 Writing: 120 Waiting: 68 \n");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->active, 291u);
  EXPECT_EQ(st->reading, 103u);
  EXPECT_EQ(st->writing, 120u);
  EXPECT_EQ(st->waiting, 68u);
  EXPECT_FALSE(ParseStubStatus("Active connections: 1\n"));
  EXPECT_FALSE(ParseStubStatus("<html>403 Forbidden</html>"));
  Sample s = NginxSlowClients(st, 64, "");
  EXPECT_EQ(s.obs, kX);
  EXPECT_FALSE(s.event);  // a state check: it must last `for` to fire
  EXPECT_EQ(s.value, "103");
  EXPECT_EQ(NginxSlowClients(st, 103, "").obs, kO);
  EXPECT_EQ(NginxSlowClients(std::nullopt, 64, "no answer").obs, kU);
}

}  // namespace
}  // namespace oj::watchdog
