#include "core/pool_state.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

TEST(PoolStateTest, RoundTrip) {
  PoolState s{1234, 1718000000.5, 3, "worker 4567 (slot 2) died: signal Killed\nsecond line"};
  auto p = ParsePoolState(FormatPoolState(s));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->master_pid, 1234);
  EXPECT_DOUBLE_EQ(p->started_at, 1718000000.5);
  EXPECT_EQ(p->worker_crashes, 3u);
  EXPECT_EQ(p->last_crash, "worker 4567 (slot 2) died: signal Killed second line");
}

TEST(PoolStateTest, MalformedIsRejected) {
  const char* bad[] = {
      "",
      "master_pid=12\n",                     // no crash count
      "worker_crashes=1\n",                  // no pid
      "master_pid=x\nworker_crashes=1\n",    // not a number
      "master_pid=0\nworker_crashes=1\n",    // not a pid
      "master_pid=12\nworker_crashes=-1\n",  // negative count
      "master_pid=12 \nworker_crashes=1\n",  // trailing junk
      "master_pid=12\nworker_crashes=1\nstarted_at=yesterday\n",
  };
  for (const char* t : bad) EXPECT_FALSE(ParsePoolState(t)) << t;
  auto ok = ParsePoolState("master_pid=12\nworker_crashes=0\nfuture_key=1\nnoise");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->worker_crashes, 0u);
  EXPECT_EQ(ok->last_crash, "");
}

}  // namespace
}  // namespace oj
