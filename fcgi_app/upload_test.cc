#include "fcgi_app/upload.h"

#include <gtest/gtest.h>

#include <memory>

#include "fcgi_app/scoreboard.h"

namespace oj {
namespace {

const std::string kSha = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";
const std::string kOtherSha = "9a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";

TEST(UploadTwinKeyTest, NamesStudentModuleAndBytes) {
  uint64_t k = UploadTwinKey(7, 3, kSha);
  EXPECT_NE(k, 0u);
  EXPECT_EQ(k, UploadTwinKey(7, 3, kSha));
  EXPECT_NE(k, UploadTwinKey(8, 3, kSha));       // another student
  EXPECT_NE(k, UploadTwinKey(7, 4, kSha));       // another module
  EXPECT_NE(k, UploadTwinKey(7, 3, kOtherSha));  // other bytes
  EXPECT_NE(k, UploadTwinKey(3, 7, kSha));       // student and module not interchangeable
  EXPECT_EQ(k, UploadTwinKey(7, 3, "3A7BD3E2360A3D29" + kSha.substr(16)));  // hex case
}

TEST(UploadTwinKeyTest, NeverZero) {
  EXPECT_NE(UploadTwinKey(0, 0, std::string(64, '0')), 0u);
  EXPECT_NE(UploadTwinKey(0, 0, ""), 0u);
}

class TwinMayBeStoringTest : public ::testing::Test {
 protected:
  std::unique_ptr<Scoreboard> sb = std::make_unique<Scoreboard>();
  WorkerSlot* self = &sb->slots[0];
  WorkerSlot* other = &sb->slots[5];
  uint64_t key = UploadTwinKey(7, 3, kSha);
};

TEST_F(TwinMayBeStoringTest, OtherWorkerInFlightWithTheKey) {
  other->upload_twin_key.store(key);
  other->upload_ended_us.store(0);
  EXPECT_TRUE(TwinMayBeStoring(sb.get(), self, key));
}

TEST_F(TwinMayBeStoringTest, FinishedTwinHasCommittedAlready) {
  other->upload_twin_key.store(key);
  other->upload_ended_us.store(1'700'000'000'000'000);
  EXPECT_FALSE(TwinMayBeStoring(sb.get(), self, key));
}

TEST_F(TwinMayBeStoringTest, OtherKeysAndOwnSlotDoNotCount) {
  other->upload_twin_key.store(UploadTwinKey(7, 3, kOtherSha));
  self->upload_twin_key.store(key);
  EXPECT_FALSE(TwinMayBeStoring(sb.get(), self, key));
}

TEST_F(TwinMayBeStoringTest, ASlotResetForANewUploadIsNotATwin) {
  other->upload_twin_key.store(0);  // a new upload whose target is not known yet
  other->upload_ended_us.store(0);
  EXPECT_FALSE(TwinMayBeStoring(sb.get(), self, key));
}

}  // namespace
}  // namespace oj
