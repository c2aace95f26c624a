// The connection pool against a real PostgreSQL server: bounded, waits bounded by the caller's
// deadline, UNAVAILABLE naming the store (never its password) while the server is down, and
// back by itself once it is up again.
#include "common/store/pg_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "common/store/store_config.h"
#include "common/store/testing/postgres_server.h"

namespace switchboard::common::store {
namespace {

using testing::PostgresServer;

constexpr char kPassword[] = "s3cret-pw";

absl::Status SelectOne(PgConnection& conn) {
  auto rows = conn.Run("SELECT 1", {});
  return rows.status();
}

TEST(PgPool, CallersWaitForAFreeConnectionNoLongerThanTheirDeadline) {
  auto url = testing::FreshPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  PgPool pool({*url, /*size=*/1});
  std::promise<void> holding;
  std::promise<void> release;
  std::thread holder([&] {
    pool.RunIdempotent(absl::InfiniteFuture(),
                       [&](PgConnection& conn) {
                         holding.set_value();
                         release.get_future().wait();
                         return SelectOne(conn);
                       })
        .IgnoreError();
  });
  holding.get_future().wait();
  const absl::Time start = absl::Now();
  absl::Status waited = pool.RunIdempotent(start + absl::Milliseconds(200), SelectOne);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(waited.code(), absl::StatusCode::kDeadlineExceeded) << waited;
  EXPECT_GE(took, absl::Milliseconds(190));
  EXPECT_LT(took, absl::Seconds(2));
  EXPECT_EQ(pool.OpenConnections(), 1) << "the pool never opens more than its size";
  release.set_value();
  holder.join();
  EXPECT_TRUE(pool.RunIdempotent(absl::Now() + absl::Seconds(5), SelectOne).ok());
}

TEST(PgPool, ManyCallersShareABoundedNumberOfConnections) {
  auto url = testing::FreshPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  constexpr int kSize = 3;
  constexpr int kCallers = 12;
  PgPool pool({*url, kSize});
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      absl::Status s = pool.RunIdempotent(absl::Now() + absl::Seconds(10), [](PgConnection& conn) {
        return conn.Run("SELECT pg_sleep(0.05)", {}).status();
      });
      if (s.ok()) ++ok;
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(ok.load(), kCallers);
  EXPECT_LE(pool.OpenConnections(), kSize);
}

TEST(PgPool, ServerDownIsUnavailableNamingTheStoreAndThePoolRecovers) {
  auto server = PostgresServer::Create();
  ASSERT_TRUE(server.ok()) << server.status();
  // Trust authentication ignores the password; it is there to show it is never printed.
  const std::string url = absl::StrCat("postgres://", PostgresServer::kSuperuser, ":", kPassword,
                                       "@127.0.0.1:", (*server)->port(), "/postgres");
  const std::string name = RedactedUrl(url);
  PgPool pool({url, /*size=*/2});
  ASSERT_TRUE(pool.RunIdempotent(absl::Now() + absl::Seconds(5), SelectOne).ok());

  (*server)->Stop();
  for (int call = 0; call < 3; ++call) {  // a pooled connection, then fresh connects
    absl::Status down = pool.InTransaction(absl::Now() + absl::Seconds(5), SelectOne);
    EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
    EXPECT_NE(down.message().find(name), std::string::npos) << down;
    EXPECT_EQ(down.message().find(kPassword), std::string::npos) << down;
  }

  ASSERT_TRUE((*server)->Start().ok());
  absl::Status back = pool.RunIdempotent(absl::Now() + absl::Seconds(5), SelectOne);
  EXPECT_TRUE(back.ok()) << back;
  EXPECT_TRUE(pool.InTransaction(absl::Now() + absl::Seconds(5), SelectOne).ok());
}

TEST(PgPool, IdleConnectionsDroppedByARestartDoNotFailTheNextCall) {
  auto server = PostgresServer::Create();
  ASSERT_TRUE(server.ok()) << server.status();
  PgPool pool({(*server)->Url(), /*size=*/2});
  ASSERT_TRUE(pool.RunIdempotent(absl::Now() + absl::Seconds(5), SelectOne).ok());
  (*server)->Stop();
  ASSERT_TRUE((*server)->Start().ok());
  // The pooled connection died with the old server; nothing reached the new one, so the pool
  // runs the call again on a fresh connection instead of failing it.
  EXPECT_TRUE(pool.RunIdempotent(absl::Now() + absl::Seconds(5), SelectOne).ok());
  ASSERT_TRUE(pool.RunIdempotent(absl::Now() + absl::Seconds(5), SelectOne).ok());
  (*server)->Stop();
  ASSERT_TRUE((*server)->Start().ok());
  EXPECT_TRUE(pool.InTransaction(absl::Now() + absl::Seconds(5), SelectOne).ok());
}

TEST(PgPool, FailedTransactionsLeaveNothingBehind) {
  auto url = testing::FreshPostgresDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  PgPool pool({*url, /*size=*/1});
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  ASSERT_TRUE(
      pool.InTransaction(deadline,
                         [](PgConnection& conn) {
                           return conn.Execute("CREATE TABLE t (k TEXT PRIMARY KEY)").status();
                         })
          .ok());
  absl::Status failed = pool.InTransaction(deadline, [](PgConnection& conn) -> absl::Status {
    if (auto s = conn.Run("INSERT INTO t VALUES ($1)", {"a"}); !s.ok()) return s.status();
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kFailedPrecondition);
  int64_t rows = -1;
  ASSERT_TRUE(pool.RunIdempotent(deadline,
                                 [&](PgConnection& conn) -> absl::Status {
                                   auto r = conn.Run("SELECT count(*) FROM t", {});
                                   if (!r.ok()) return r.status();
                                   rows = r->Int(0, 0);
                                   return absl::OkStatus();
                                 })
                  .ok());
  EXPECT_EQ(rows, 0);
}

}  // namespace
}  // namespace switchboard::common::store
