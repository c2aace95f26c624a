// The EventStore contract, run against both engines: SQLite (a file in a temporary directory)
// and PostgreSQL (a real server, a fresh database per test).
#include "services/ticket/event_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "common/store/testing/engines.h"
#include "testing/temp_dir.h"

namespace switchboard::ticket {
namespace {

using common::store::testing::Engine;
using common::store::testing::EngineName;

absl::Status StillWanted() { return absl::OkStatus(); }

class EventStoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    auto config = common::store::testing::StoreFor(GetParam());
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  // Another process on the same data: a second store object with its own connection(s).
  std::unique_ptr<EventStore> Open() {
    auto store = OpenEventStore(config_, dir_.path() + "/ticket.db");
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  int SeatsAvailable(const std::string& event) {
    auto got = store_->Get(event);
    return got.ok() ? got->seats_available() : -1;
  }

  switchboard::testing::TempDir dir_;
  common::store::StoreConfig config_;
  std::unique_ptr<EventStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Engines, EventStoreTest, common::store::testing::kBothEngines, EngineName);

TEST_P(EventStoreTest, SeedsTheCatalogueOnce) {
  auto event = store_->Get("evt-1");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->name(), "The Protocol Buffers");
  EXPECT_EQ(event->seats_available(), event->capacity());
  EXPECT_EQ(event->starts_at().seconds(), 1798794000);
  EXPECT_EQ(event->price(), 4500);
  store_.reset();
  auto reopened = Open();
  ASSERT_NE(reopened, nullptr);
  auto page = reopened->List(100, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), 12u) << "seed must not be inserted twice";
}

TEST_P(EventStoreTest, UnknownIdIsNotFound) {
  auto event = store_->Get("evt-404");
  EXPECT_EQ(event.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(event.status().message().find("evt-404"), std::string::npos);
}

TEST_P(EventStoreTest, PagesCoverEveryEventOnceInOrder) {
  std::set<std::string> seen;
  std::string token;
  int64_t last_start = INT64_MIN;
  int pages = 0;
  do {
    auto page = store_->List(5, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& event : page->events) {
      EXPECT_TRUE(seen.insert(event.id()).second) << "duplicate " << event.id();
      EXPECT_GE(event.starts_at().seconds(), last_start);
      last_start = event.starts_at().seconds();
    }
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_EQ(pages, 3);
}

TEST_P(EventStoreTest, PageSizeIsBoundedAndValidated) {
  auto page = store_->List(0, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->events.size(), 12u);  // default 20 covers the seed
  EXPECT_EQ(store_->List(-1, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->List(1000000, "").ok());
}

TEST_P(EventStoreTest, MalformedPageTokensAreInvalidArgument) {
  for (const char* token : {"!!!", "bm90LWEtdG9rZW4", "YWJjfGRlZg"}) {
    auto page = store_->List(5, token);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_NE(page.status().message().find("page_token"), std::string::npos);
  }
}

TEST_P(EventStoreTest, ReserveIsIdempotentAndReleaseTombstones) {
  auto held = store_->Reserve("evt-10", 3, "r1", StillWanted);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->state(), v1::Reservation::STATE_HELD);
  EXPECT_EQ(held->amount(), 3 * 1500);
  EXPECT_EQ(held->currency(), "GBP");
  ASSERT_TRUE(store_->Reserve("evt-10", 3, "r1", StillWanted).ok());
  EXPECT_EQ(SeatsAvailable("evt-10"), 97);
  EXPECT_EQ(store_->Reserve("evt-10", 4, "r1", StillWanted).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto released = store_->Release("r1");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(released->state(), v1::Reservation::STATE_RELEASED);
  ASSERT_TRUE(store_->Release("r1").ok());
  EXPECT_EQ(SeatsAvailable("evt-10"), 100);
  EXPECT_EQ(store_->Reserve("evt-10", 3, "r1", StillWanted).status().code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(store_->Release("never-reserved").ok());
  EXPECT_EQ(store_->Reserve("evt-10", 1, "never-reserved", StillWanted).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(SeatsAvailable("evt-10"), 100);
  EXPECT_EQ(*store_->HeldSeats("evt-10"), 0);
}

TEST_P(EventStoreTest, RefusalsTakeNothing) {
  EXPECT_EQ(store_->Reserve("evt-404", 1, "r1", StillWanted).status().code(),
            absl::StatusCode::kNotFound);
  auto too_many = store_->Reserve("evt-10", 101, "r2", StillWanted);
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(too_many.status().message().find("100 seats left"), std::string::npos)
      << too_many.status();
  const auto gave_up = [] { return absl::DeadlineExceededError("caller gave up"); };
  EXPECT_EQ(store_->Reserve("evt-10", 2, "r3", gave_up).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(SeatsAvailable("evt-10"), 100);
  EXPECT_EQ(*store_->HeldSeats("evt-10"), 0);
}

// Three store objects stand for three replicas (each its own connections); together they hold
// exactly the 100 seats of evt-10, never more, and the same reservation id counts once.
TEST_P(EventStoreTest, ConcurrentReservationsFromSeveralReplicasNeverOversell) {
  constexpr int kReplicas = 3;
  constexpr int kThreadsPerReplica = 4;
  constexpr int kAttemptsPerThread = 30;  // 360 attempts, 30 ids each tried on two replicas
  std::vector<std::unique_ptr<EventStore>> replicas;
  for (int r = 0; r < kReplicas; ++r) replicas.push_back(Open());
  std::atomic<int> held_calls{0};
  std::atomic<int> sold_out{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReplicas; ++r) {
    for (int t = 0; t < kThreadsPerReplica; ++t) {
      threads.emplace_back([&, r, t] {
        for (int i = 0; i < kAttemptsPerThread; ++i) {
          // Thread t of every replica uses the same ids: each is tried on every replica.
          const std::string id = "r" + std::to_string(t) + "_" + std::to_string(i);
          auto got = replicas[r]->Reserve("evt-10", 1, id, StillWanted);
          if (got.ok()) {
            ++held_calls;
          } else if (got.status().code() == absl::StatusCode::kFailedPrecondition) {
            ++sold_out;
          } else {
            ++other;
            ADD_FAILURE() << got.status();
          }
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(SeatsAvailable("evt-10"), 0);
  EXPECT_EQ(*store_->HeldSeats("evt-10"), 100) << "no seat oversold or lost";
  EXPECT_GE(held_calls.load(), 100);
}

}  // namespace
}  // namespace switchboard::ticket
