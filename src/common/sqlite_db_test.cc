#include "common/sqlite_db.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace switchboard::common {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sb-sqlite-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = dir_ + "/test.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::string path_;
};

const std::vector<Migration> kMigrations = {
    {1, "items", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"},
    {2, "seed", "INSERT INTO items (name) VALUES ('first')"},
};

TEST_F(SqliteDbTest, MigratesOnceAndKeepsData) {
  {
    auto db = Database::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Migrate(kMigrations).ok());
    EXPECT_EQ(*(*db)->SchemaVersion(), 2);
  }
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Migrate(kMigrations).ok()) << "re-running migrations must be a no-op";
  auto stmt = (*db)->Prepare("SELECT COUNT(*) FROM items");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->ColumnInt(0), 1);
}

TEST_F(SqliteDbTest, FailedMigrationRollsBack) {
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok());
  std::vector<Migration> broken = kMigrations;
  broken.push_back({3, "broken", "CREATE TABLE more (x INT); THIS IS NOT SQL"});
  auto status = (*db)->Migrate(broken);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("migration 3"), std::string::npos) << status;
  EXPECT_EQ(*(*db)->SchemaVersion(), 2);
  EXPECT_FALSE((*db)->Prepare("SELECT * FROM more").ok()) << "table of a failed step must not exist";
}

TEST_F(SqliteDbTest, RefusesNewerSchema) {
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Execute("PRAGMA user_version = 9").ok());
  EXPECT_EQ((*db)->Migrate(kMigrations).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SqliteDbTest, UniqueViolationIsAlreadyExists) {
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Migrate(kMigrations).ok());
  auto stmt = (*db)->Prepare("INSERT INTO items (name) VALUES (?)");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(1, "first");
  EXPECT_EQ(stmt->Run().code(), absl::StatusCode::kAlreadyExists);
}

TEST(SqliteDb, OpenFailsWithClearError) {
  auto db = Database::Open("/nonexistent-dir/x/y.db");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("/nonexistent-dir/x/y.db"), std::string::npos);
}

TEST(SqliteDb, AFileThatIsNotADatabaseIsNamedInTheError) {
  char pattern[] = "/tmp/sb-notadb-XXXXXX";
  const int fd = mkstemp(pattern);
  const std::string junk(4096, 'x');
  ASSERT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  close(fd);
  auto db = Database::Open(pattern);
  std::remove(pattern);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("file is not a database"), std::string::npos)
      << db.status();
  EXPECT_NE(db.status().message().find(pattern), std::string::npos) << db.status();
}

}  // namespace
}  // namespace switchboard::common
