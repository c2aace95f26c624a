// UserStore against a real SQLite file: round trip, uniqueness, and reopening.
#include "services/user/user_store.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace switchboard::user {
namespace {

constexpr int64_t kCreatedAtMs = 1767225600123;  // 2026-01-01T00:00:00.123Z

class UserStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<UserStore> OpenStore() {
    auto store = UserStore::Open(dir_.path() + "/user.db");
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  switchboard::testing::TempDir dir_;
};

TEST_F(UserStoreTest, CreateThenGet) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto created = store->Create("ada@example.com", "Ada", kCreatedAtMs);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->id().rfind("usr_", 0), 0u) << created->id();
  EXPECT_EQ(created->created_at().seconds(), kCreatedAtMs / 1000);
  EXPECT_EQ(created->created_at().nanos(), 123000000);

  auto got = store->Get(created->id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), created->SerializeAsString());
}

TEST_F(UserStoreTest, DuplicateEmailIsAlreadyExists) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Create("ada@example.com", "Ada", kCreatedAtMs).ok());
  auto again = store->Create("ada@example.com", "Other Ada", kCreatedAtMs);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("ada@example.com"), std::string::npos) << again.status();
  // Case-folded duplicates are caught by the column collation too.
  EXPECT_EQ(store->Create("ADA@example.com", "Ada", kCreatedAtMs).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(UserStoreTest, UnknownIdIsNotFoundNamingIt) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto got = store->Get("usr_missing");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(got.status().message().find("usr_missing"), std::string::npos) << got.status();
}

TEST_F(UserStoreTest, DataSurvivesReopening) {
  std::string id;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto created = store->Create("grace@example.com", "Grace", kCreatedAtMs);
    ASSERT_TRUE(created.ok()) << created.status();
    id = created->id();
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto got = store->Get(id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->email(), "grace@example.com");
  EXPECT_EQ(got->display_name(), "Grace");
  EXPECT_EQ(store->Create("grace@example.com", "Grace", kCreatedAtMs).status().code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace switchboard::user
