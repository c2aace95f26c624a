// Migrations on PostgreSQL: each step once, even with replicas starting together, recorded per
// service in schema_version.
#include "common/store/migrations.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/store/testing/postgres_server.h"

namespace switchboard::common::store {
namespace {

const std::vector<VersionedMigration> kSteps = {
    {1, "a table", "CREATE TABLE a (n INTEGER)", "CREATE TABLE a (n INTEGER)"},
    {2, "a row", "INSERT INTO a VALUES (1)", "INSERT INTO a VALUES (1)"},
};

int64_t Count(PgConnection& conn, const std::string& sql, const std::vector<std::string>& args) {
  auto rows = conn.Run(sql, args);
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? rows->Int(0, 0) : -1;
}

TEST(Migrations, ReplicasStartingTogetherApplyEachStepOnce) {
  auto url = testing::FreshPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  constexpr int kReplicas = 4;
  std::vector<std::thread> replicas;
  std::vector<absl::Status> results(kReplicas);
  for (int r = 0; r < kReplicas; ++r) {
    replicas.emplace_back([&, r] {
      auto conn = PgConnection::Connect(*url, "test");
      results[r] = conn.ok() ? MigratePostgres(**conn, "svc", kSteps) : conn.status();
    });
  }
  for (auto& t : replicas) t.join();
  for (const auto& s : results) EXPECT_TRUE(s.ok()) << s;
  auto conn = PgConnection::Connect(*url, "test");
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(Count(**conn, "SELECT count(*) FROM a", {}), 1);
  EXPECT_EQ(*PostgresSchemaVersion(**conn, "svc"), 2);
  EXPECT_EQ(*PostgresSchemaVersion(**conn, "other"), 0) << "versions are per service";

  // A later release adds a step: only that one runs.
  auto more = kSteps;
  more.push_back({3, "another row", "", "INSERT INTO a VALUES (2)"});
  ASSERT_TRUE(MigratePostgres(**conn, "svc", more).ok());
  EXPECT_EQ(Count(**conn, "SELECT count(*) FROM a", {}), 2);
  EXPECT_EQ(Count(**conn, "SELECT count(*) FROM schema_version WHERE service = $1", {"svc"}), 3);
}

TEST(Migrations, AFailedStepIsRolledBackAndNamed) {
  auto url = testing::FreshPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  auto conn = PgConnection::Connect(*url, "test");
  ASSERT_TRUE(conn.ok());
  auto broken = kSteps;
  broken.push_back({3, "a typo", "", "INSERT INTO a VALUES (2); INSERT INTO nowhere VALUES (1)"});
  absl::Status failed = MigratePostgres(**conn, "svc", broken);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("svc migration 3 (a typo)"), std::string::npos) << failed;
  EXPECT_EQ(*PostgresSchemaVersion(**conn, "svc"), 2);
  EXPECT_EQ(Count(**conn, "SELECT count(*) FROM a", {}), 1) << "step 3 left nothing";
}

TEST(Migrations, SqliteGetsItsOwnDialectUnderTheSameNumbers) {
  auto sqlite = SqliteMigrations({{7, "x", "SQLITE SQL", "POSTGRES SQL"}});
  ASSERT_EQ(sqlite.size(), 1u);
  EXPECT_EQ(sqlite[0].version, 7);
  EXPECT_EQ(sqlite[0].sql, "SQLITE SQL");
}

}  // namespace
}  // namespace switchboard::common::store
