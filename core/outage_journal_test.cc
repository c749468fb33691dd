#include "core/outage_journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

namespace oj {
namespace {

RefusalRecord Good() {
  RefusalRecord r;
  r.id = "abcdEFGH12345678";
  r.at = SysTime{} + std::chrono::microseconds(1700000000123456);
  r.status = 503;
  r.token = "AbCd1234";
  r.course = "ICS2024";
  r.module = "PA1";
  r.reason = "database";
  return r;
}

TEST(OutageJournalTest, RefusalRoundTrip) {
  auto line = EncodeRefusal(Good());
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "R abcdEFGH12345678 1700000000123456 503 AbCd1234 ICS2024 PA1 database");
  auto back = ParseRefusal(*line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, Good().id);
  EXPECT_EQ(back->at, Good().at);
  EXPECT_EQ(back->token, "AbCd1234");
  EXPECT_EQ(back->module, "PA1");
}

TEST(OutageJournalTest, StudentBytesNeverReachTheJournal) {
  struct Case {
    const char* name;
    void (*mutate)(RefusalRecord&);
  } cases[] = {
      {"token with a space", [](RefusalRecord& r) { r.token = "AbCd 234"; }},
      {"token too long", [](RefusalRecord& r) { r.token = "AbCd12345"; }},
      {"token with a newline", [](RefusalRecord& r) { r.token = "AbCd123\n"; }},
      {"course with a newline", [](RefusalRecord& r) { r.course = "ICS\nR x"; }},
      {"module empty", [](RefusalRecord& r) { r.module = ""; }},
      {"module too long", [](RefusalRecord& r) { r.module = std::string(33, 'a'); }},
      {"module with a slash", [](RefusalRecord& r) { r.module = "../PA1"; }},
      {"unknown reason", [](RefusalRecord& r) { r.reason = "because"; }},
      {"status not 5xx", [](RefusalRecord& r) { r.status = 403; }},
      {"bad id", [](RefusalRecord& r) { r.id = "short"; }},
  };
  for (const Case& c : cases) {
    RefusalRecord r = Good();
    c.mutate(r);
    EXPECT_FALSE(EncodeRefusal(r)) << c.name;
  }
}

TEST(OutageJournalTest, ParseRejectsMalformedLines) {
  const char* bad[] = {
      "",
      "R",
      "X abcdEFGH12345678 1700000000123456 503 AbCd1234 ICS2024 PA1 database",
      "R abcdEFGH12345678 17000000001234x6 503 AbCd1234 ICS2024 PA1 database",
      "R abcdEFGH12345678 1700000000123456 503 AbCd1234 ICS2024 PA1 database extra",
      "R abcdEFGH12345678 1700000000123456 503 AbCd1234 ICS2024  database",
      "R abcdEFGH12345678 -5 503 AbCd1234 ICS2024 PA1 database",
      "M 28333333 12 13 0 0",  // more failed than probes
      "M 28333333 12 1 2 3",   // more 5xx than uploads
      "M 28333333 12 1 2",
      "M x 1 1 1 1",
  };
  for (const char* l : bad) {
    EXPECT_FALSE(ParseRefusal(l)) << l;
    EXPECT_FALSE(ParseMinute(l)) << l;
  }
  auto m = ParseMinute(EncodeMinute({28333333, 12, 3, 5, 2}));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->minute, 28333333);
  EXPECT_EQ(m->probes_failed, 3u);
  EXPECT_EQ(m->uploads_5xx, 2u);
}

class JournalFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("oj-journal-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(JournalFilesTest, ImportTakesEverythingOnceAndKeepsItWhenTheImportFails) {
  std::string d = (dir_ / "ledger").string();
  ASSERT_TRUE(ImportJournal(d, kMinutesJournal, 1 << 20, [](auto&) {
                return Status::Internal("must not be called: nothing recorded");
              }).ok());
  ASSERT_TRUE(AppendJournal(d, kMinutesJournal, "M 1 1 0 0 0", 1 << 20).ok());
  ASSERT_TRUE(AppendJournal(d, kMinutesJournal, "M 2 1 1 0 0", 1 << 20).ok());
  // The database is down: nothing is lost, and new records still go in.
  Status down = ImportJournal(d, kMinutesJournal, 1 << 20,
                              [](auto&) { return Status::Unavailable("database down"); });
  EXPECT_EQ(down.code(), Status::Code::kUnavailable);
  ASSERT_TRUE(AppendJournal(d, kMinutesJournal, "M 3 1 1 0 0", 1 << 20).ok());
  std::vector<std::string> got;
  ASSERT_TRUE(ImportJournal(d, kMinutesJournal, 1 << 20, [&](const auto& lines) {
                got.insert(got.end(), lines.begin(), lines.end());
                return Status::Ok();
              }).ok());
  EXPECT_EQ(got, (std::vector<std::string>{"M 1 1 0 0 0", "M 2 1 1 0 0", "M 3 1 1 0 0"}));
  got.clear();
  ASSERT_TRUE(ImportJournal(d, kMinutesJournal, 1 << 20, [&](const auto& lines) {
                got.insert(got.end(), lines.begin(), lines.end());
                return Status::Ok();
              }).ok());
  EXPECT_TRUE(got.empty());
}

TEST_F(JournalFilesTest, BoundedSize) {
  std::string d = (dir_ / "ledger").string();
  std::string line(100, 'x');
  int ok = 0, dropped = 0;
  for (int i = 0; i < 100; ++i) {
    Status s = AppendJournal(d, kRefusalsJournal, line, 4096);
    if (s.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
      ++dropped;
    }
  }
  EXPECT_EQ(ok, 4096 / 101);
  EXPECT_EQ(dropped, 100 - ok);
  EXPECT_LE(std::filesystem::file_size(dir_ / "ledger" / kRefusalsJournal), 4096u);
}

TEST_F(JournalFilesTest, ConcurrentWritersAndImportsLoseNothing) {
  std::string d = (dir_ / "ledger").string();
  constexpr int kWriters = 4, kEach = 500;
  std::atomic<bool> done{false};
  std::multiset<std::string> imported;
  std::thread importer([&] {
    while (!done.load()) {
      ASSERT_TRUE(ImportJournal(d, kRefusalsJournal, 1 << 20, [&](const auto& lines) {
                    imported.insert(lines.begin(), lines.end());
                    return Status::Ok();
                  }).ok());
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(AppendJournal(d, kRefusalsJournal,
                                  "w" + std::to_string(w) + "-" + std::to_string(i), 1 << 20)
                        .ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  importer.join();
  ASSERT_TRUE(ImportJournal(d, kRefusalsJournal, 1 << 20, [&](const auto& lines) {
                imported.insert(lines.begin(), lines.end());
                return Status::Ok();
              }).ok());
  EXPECT_EQ(imported.size(), static_cast<size_t>(kWriters * kEach));
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kEach; ++i) {
      EXPECT_EQ(imported.count("w" + std::to_string(w) + "-" + std::to_string(i)), 1u);
    }
  }
}

}  // namespace
}  // namespace oj
