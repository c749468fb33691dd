#include "ops/watchdog/delivery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace oj::watchdog {
namespace {

using std::chrono::milliseconds;

TEST(BackoffDelayTest, DoublesUpToTheCap) {
  struct {
    int attempt;
    int64_t ms;
  } cases[] = {{0, 1000}, {1, 1000}, {2, 2000}, {3, 4000}, {5, 16000}, {6, 30000}, {60, 30000}};
  for (const auto& c : cases) {
    EXPECT_EQ(BackoffDelay(c.attempt, milliseconds(1000), milliseconds(30000)).count(), c.ms)
        << c.attempt;
  }
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("oj_notifier_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Read(const std::string& name) {
    std::ifstream f(dir_ / name);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  template <typename Pred>
  bool WaitFor(Pred p, int ms = 5000) {
    for (int i = 0; i < ms / 10; ++i) {
      if (p()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return p();
  }
  std::filesystem::path dir_;
};

Alert A(const std::string& check, const std::string& state) {
  return Alert{check, state, "detail", "1", "0", "h", "t"};
}

TEST_F(NotifierTest, CommandGetsTheMessageOnStdinInOrder) {
  DeliveryConfig cfg;
  cfg.command = "cat >> " + (dir_ / "out").string() + "; echo \"$OJ_ALERT_STATE\" >> " +
                (dir_ / "states").string();
  std::mutex mu;
  std::vector<DeliveryEvent> events;
  Notifier n(cfg, [&](const DeliveryEvent& e) {
    std::lock_guard<std::mutex> l(mu);
    events.push_back(e);
  });
  ASSERT_TRUE(n.Start().ok());
  n.Enqueue(A("disk_storage", "firing"));
  n.Enqueue(A("disk_storage", "resolved"));
  ASSERT_TRUE(WaitFor([&] { return Read("states") == "firing\nresolved\n"; }));
  EXPECT_NE(Read("out").find("[oj FIRING] disk_storage on h: detail"), std::string::npos);
  n.Stop();
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].ok);
}

TEST_F(NotifierTest, RetriesWithBackoffUntilTheSinkWorks) {
  // The command fails until the flag file exists.
  DeliveryConfig cfg;
  std::string flag = (dir_ / "up").string();
  cfg.command = "test -e " + flag + " && cat >> " + (dir_ / "out").string();
  cfg.backoff_initial = milliseconds(50);
  cfg.backoff_max = milliseconds(200);
  std::atomic<int> failures{0};
  Notifier n(cfg, [&](const DeliveryEvent& e) {
    if (!e.ok) ++failures;
  });
  ASSERT_TRUE(n.Start().ok());
  n.Enqueue(A("health_probe", "firing"));
  ASSERT_TRUE(WaitFor([&] { return failures.load() >= 2; }));
  std::ofstream(flag) << "";
  ASSERT_TRUE(WaitFor([&] { return Read("out").find("health_probe") != std::string::npos; }));
}

TEST_F(NotifierTest, EnqueueNeverBlocksAndTheQueueIsBounded) {
  DeliveryConfig cfg;
  cfg.command = "sleep 5";  // a stuck receiver
  cfg.timeout = milliseconds(300);
  cfg.max_queue = 4;
  Notifier n(cfg, [](const DeliveryEvent&) {});
  ASSERT_TRUE(n.Start().ok());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) n.Enqueue(A("c" + std::to_string(i), "firing"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(200));
  EXPECT_GE(n.dropped(), 46u);
  n.Stop();
}

}  // namespace
}  // namespace oj::watchdog
