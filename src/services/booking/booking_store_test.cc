// The BookingStore contract, run on both engines (a temporary SQLite file; a fresh database on a
// real PostgreSQL server): rows created PENDING and made terminal, idempotency keys, pages per
// user, pending work for the recovery sweep, and absent rows and malformed page tokens answered
// with errors that say what was wrong; on PostgreSQL also several replicas at once.
#include "services/booking/booking_store.h"

#include <grpcpp/support/status.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/store/testing/engines.h"
#include "testing/temp_dir.h"

namespace switchboard::booking {
namespace {

using std::chrono::system_clock;

constexpr char kEvent[] = "evt-10";
constexpr char kOtherEvent[] = "evt-11";
constexpr int64_t kPrice = 1500;

v1::Booking Pending(const std::string& id, const std::string& user, int seats,
                    const std::string& event = kEvent) {
  v1::Booking booking;
  booking.set_id(id);
  booking.set_event_id(event);
  booking.set_user_id(user);
  booking.set_seats(seats);
  booking.set_status(v1::Booking::STATUS_PENDING);
  return booking;
}

system_clock::time_point CreatedAt(const v1::Booking& booking) {
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(
      std::chrono::seconds(booking.created_at().seconds()) +
      std::chrono::nanoseconds(booking.created_at().nanos())));
}

// The wall clock once it reads at least a microsecond (the store's resolution) after `t`, so
// rows created before `t` and after the returned time fall on either side of it. Bounded.
system_clock::time_point MicrosecondAfter(system_clock::time_point t) {
  const auto target = t + std::chrono::microseconds(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (system_clock::now() < target && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  const auto now = system_clock::now();
  EXPECT_GE(now, target) << "the wall clock did not advance";
  return now;
}

using common::store::testing::Engine;

class BookingStoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    auto config = common::store::testing::StoreFor(GetParam());
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    Open();
  }

  void Open() { store_ = OpenReplica(); }

  // Another process on the same data, with its own connection(s).
  std::unique_ptr<BookingStore> OpenReplica() {
    auto store = OpenBookingStore(config_, dir_.path() + "/booking.db");
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Inserts a new PENDING booking and returns it as stored.
  BookingRecord Begin(const std::string& id, const std::string& user, int seats,
                      const std::string& key = "", const std::string& event = kEvent) {
    auto begun = store_->Begin(Pending(id, user, seats, event), key);
    EXPECT_TRUE(begun.ok()) << begun.status();
    if (!begun.ok()) return {};
    EXPECT_TRUE(begun->second) << id << " was not created";
    return begun->first;
  }

  BookingRecord Confirm(BookingRecord record) {
    record.booking.set_status(v1::Booking::STATUS_CONFIRMED);
    record.booking.set_amount(record.booking.seats() * kPrice);
    record.booking.set_currency("GBP");
    record.booking.set_payment_id("pay-" + record.booking.id());
    EXPECT_TRUE(store_->Save(record).ok());
    return record;
  }

  std::vector<std::string> Ids(const std::vector<BookingRecord>& records) {
    std::vector<std::string> ids;
    for (const auto& record : records) ids.push_back(record.booking.id());
    return ids;
  }

  switchboard::testing::TempDir dir_;
  common::store::StoreConfig config_;
  std::unique_ptr<BookingStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Engines, BookingStoreTest, common::store::testing::kBothEngines,
                         common::store::testing::EngineName);

TEST_P(BookingStoreTest, BeginStoresAPendingRowThatGetReturns) {
  const auto before = system_clock::now();
  BookingRecord begun = Begin("bkg-1", "alice", 3, "key-1");
  EXPECT_EQ(begun.booking.status(), v1::Booking::STATUS_PENDING);
  EXPECT_GE(CreatedAt(begun.booking), before - std::chrono::microseconds(1));
  EXPECT_LE(CreatedAt(begun.booking), system_clock::now());

  auto got = store_->Get("bkg-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->booking.id(), "bkg-1");
  EXPECT_EQ(got->booking.event_id(), kEvent);
  EXPECT_EQ(got->booking.user_id(), "alice");
  EXPECT_EQ(got->booking.seats(), 3);
  EXPECT_EQ(got->booking.status(), v1::Booking::STATUS_PENDING);
  EXPECT_EQ(got->booking.amount(), 0);
  EXPECT_EQ(got->booking.currency(), "");
  EXPECT_EQ(got->booking.payment_id(), "");
  EXPECT_EQ(got->failure_code, 0);
  EXPECT_EQ(got->booking.created_at().seconds(), begun.booking.created_at().seconds());
  EXPECT_EQ(got->booking.created_at().nanos(), begun.booking.created_at().nanos());
}

TEST_P(BookingStoreTest, AKnownIdempotencyKeyReturnsTheFirstBookingAndInsertsNothing) {
  BookingRecord first = Confirm(Begin("bkg-1", "alice", 2, "key-1"));
  auto again = store_->Begin(Pending("bkg-2", "alice", 2), "key-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->second) << "a second row was created for a known key";
  EXPECT_EQ(again->first.booking.id(), "bkg-1");
  EXPECT_EQ(again->first.booking.status(), v1::Booking::STATUS_CONFIRMED);
  EXPECT_EQ(again->first.booking.payment_id(), "pay-bkg-1");
  EXPECT_EQ(store_->Get("bkg-2").status().code(), absl::StatusCode::kNotFound);

  // Another request with another key, and requests without a key (an empty key is no key:
  // it matches nothing), each get their own row; Begin checks that each was created.
  Begin("bkg-3", "alice", 1, "key-2");
  Begin("bkg-4", "alice", 1, "");
  Begin("bkg-5", "alice", 1, "");
  auto page = store_->ListByUser("alice", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->bookings.size(), 4u);
}

TEST_P(BookingStoreTest, SaveRecordsEachTerminalState) {
  BookingRecord confirmed = Confirm(Begin("bkg-1", "alice", 2));
  auto got = store_->Get("bkg-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->booking.status(), v1::Booking::STATUS_CONFIRMED);
  EXPECT_EQ(got->booking.amount(), 2 * kPrice);
  EXPECT_EQ(got->booking.currency(), "GBP");
  EXPECT_EQ(got->booking.payment_id(), "pay-bkg-1");

  confirmed.booking.set_status(v1::Booking::STATUS_CANCELLED);
  ASSERT_TRUE(store_->Save(confirmed).ok());
  EXPECT_EQ(store_->Get("bkg-1")->booking.status(), v1::Booking::STATUS_CANCELLED);

  // A failure keeps its gRPC code and reason, so a retry gets the same answer.
  BookingRecord failed = Begin("bkg-2", "bob", 1);
  failed.booking.set_status(v1::Booking::STATUS_FAILED);
  failed.booking.set_failure_reason("payment: fraud check declined the charge");
  failed.failure_code = static_cast<int>(grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(store_->Save(failed).ok());
  got = store_->Get("bkg-2");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->booking.status(), v1::Booking::STATUS_FAILED);
  EXPECT_EQ(got->booking.failure_reason(), "payment: fraud check declined the charge");
  EXPECT_EQ(got->failure_code, static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  // Save changes the outcome, never who booked what.
  EXPECT_EQ(got->booking.user_id(), "bob");
  EXPECT_EQ(got->booking.seats(), 1);
}

TEST_P(BookingStoreTest, AbsentRowsAreNotFoundNamingTheId) {
  auto got = store_->Get("bkg-404");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(got.status().message()), "booking \"bkg-404\" not found");

  BookingRecord never_begun{Pending("bkg-405", "alice", 1)};
  never_begun.booking.set_status(v1::Booking::STATUS_CONFIRMED);
  absl::Status saved = store_->Save(never_begun);
  EXPECT_EQ(saved.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(saved.message()), "booking bkg-405 not found");
  EXPECT_EQ(store_->Get("bkg-405").status().code(), absl::StatusCode::kNotFound)
      << "Save must not insert a row";

  auto page = store_->ListByUser("nobody", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->bookings.empty());
  EXPECT_EQ(page->next_page_token, "");
}

TEST_P(BookingStoreTest, PagesListOneUsersBookingsNewestFirstEachOnce) {
  constexpr int kBookings = 7;
  constexpr int kPageSize = 3;
  for (int i = 0; i < kBookings; ++i) {
    Begin("bkg-a" + std::to_string(i), "alice", 1);
    Begin("bkg-b" + std::to_string(i), "bob", 1);
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  system_clock::time_point previous = system_clock::time_point::max();
  do {
    auto page = store_->ListByUser("alice", kPageSize, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->bookings.size(), static_cast<size_t>(kPageSize));
    for (const auto& booking : page->bookings) {
      EXPECT_EQ(booking.user_id(), "alice");
      EXPECT_TRUE(seen.insert(booking.id()).second) << "listed twice: " << booking.id();
      EXPECT_LE(CreatedAt(booking), previous) << booking.id() << " is out of order";
      previous = CreatedAt(booking);
    }
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages <= kBookings);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kBookings));
  EXPECT_EQ(pages, (kBookings + kPageSize - 1) / kPageSize);
}

TEST_P(BookingStoreTest, PageSizeZeroIsTheDefaultAndLargeSizesAreCapped) {
  const int kBookings = BookingStore::kMaxPageSize + 1;
  for (int i = 0; i < kBookings; ++i) Begin("bkg-" + std::to_string(i), "alice", 1);
  auto page = store_->ListByUser("alice", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->bookings.size(), static_cast<size_t>(BookingStore::kDefaultPageSize));
  EXPECT_FALSE(page->next_page_token.empty());
  page = store_->ListByUser("alice", kBookings + 1000, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->bookings.size(), static_cast<size_t>(BookingStore::kMaxPageSize));
  EXPECT_FALSE(page->next_page_token.empty());
}

TEST_P(BookingStoreTest, MalformedPageRequestsAreInvalidArgument) {
  Begin("bkg-1", "alice", 1);
  const std::string kBadToken =
      "page_token: not a next_page_token returned by an earlier ListBookings call";
  struct Case {
    std::string name;
    int page_size;
    std::string token;
    std::string message;
  } cases[] = {
      {"negative page size", -1, "", "page_size: -1 is negative"},
      {"not base64", 0, "!!not base64!!", kBadToken},
      {"no separator", 0, absl::WebSafeBase64Escape("1700000000000000"), kBadToken},
      {"time not a number", 0, absl::WebSafeBase64Escape("soon|bkg-1"), kBadToken},
  };
  for (const auto& c : cases) {
    auto page = store_->ListByUser("alice", c.page_size, c.token);
    ASSERT_FALSE(page.ok()) << c.name;
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(std::string(page.status().message()), c.message) << c.name;
  }
}

TEST_P(BookingStoreTest, StalePendingIsOnlyPendingRowsCreatedBeforeTheCutoff) {
  BookingRecord old_pending = Begin("bkg-old", "alice", 1);
  Confirm(Begin("bkg-old-confirmed", "alice", 1));
  BookingRecord old_failed = Begin("bkg-old-failed", "alice", 1);
  old_failed.booking.set_status(v1::Booking::STATUS_FAILED);
  ASSERT_TRUE(store_->Save(old_failed).ok());

  const auto cutoff = MicrosecondAfter(CreatedAt(old_failed.booking));
  MicrosecondAfter(cutoff);
  BookingRecord new_pending = Begin("bkg-new", "alice", 1);

  auto stale = store_->StalePending(cutoff);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(Ids(*stale), std::vector<std::string>{"bkg-old"});
  EXPECT_EQ((*stale)[0].booking.status(), v1::Booking::STATUS_PENDING);
  EXPECT_EQ((*stale)[0].booking.user_id(), "alice");

  stale = store_->StalePending(CreatedAt(old_pending.booking));
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_TRUE(stale->empty()) << "a row is not older than its own creation time";

  const auto later = MicrosecondAfter(CreatedAt(new_pending.booking));
  stale = store_->StalePending(later);
  ASSERT_TRUE(stale.ok()) << stale.status();
  const std::vector<std::string> ids = Ids(*stale);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()),
            (std::set<std::string>{"bkg-old", "bkg-new"}));

  // Once recovered (made terminal) a booking is no longer pending work.
  old_pending.booking.set_status(v1::Booking::STATUS_FAILED);
  ASSERT_TRUE(store_->Save(old_pending).ok());
  stale = store_->StalePending(later);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(Ids(*stale), std::vector<std::string>{"bkg-new"});
}

TEST_P(BookingStoreTest, TotalsCountConfirmedSeatsAndAmountAndPendingPerEvent) {
  Confirm(Begin("bkg-1", "alice", 2));
  Confirm(Begin("bkg-2", "bob", 3));
  Begin("bkg-3", "carol", 4);
  BookingRecord failed = Begin("bkg-4", "dave", 5);
  failed.booking.set_status(v1::Booking::STATUS_FAILED);
  ASSERT_TRUE(store_->Save(failed).ok());
  Confirm(Begin("bkg-5", "erin", 6, "", kOtherEvent));

  auto totals = store_->TotalsForEvent(kEvent);
  ASSERT_TRUE(totals.ok()) << totals.status();
  EXPECT_EQ(totals->confirmed_seats, 5);
  EXPECT_EQ(totals->confirmed_amount, 5 * kPrice);
  EXPECT_EQ(totals->pending, 1);

  totals = store_->TotalsForEvent("evt-unknown");
  ASSERT_TRUE(totals.ok()) << totals.status();
  EXPECT_EQ(totals->confirmed_seats, 0);
  EXPECT_EQ(totals->confirmed_amount, 0);
  EXPECT_EQ(totals->pending, 0);
}

TEST_P(BookingStoreTest, RowsAndKeysSurviveReopening) {
  Confirm(Begin("bkg-1", "alice", 2, "key-1"));
  Begin("bkg-2", "alice", 1);
  store_.reset();
  Open();
  auto got = store_->Get("bkg-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->booking.status(), v1::Booking::STATUS_CONFIRMED);
  auto again = store_->Begin(Pending("bkg-3", "alice", 2), "key-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->second);
  EXPECT_EQ(again->first.booking.id(), "bkg-1");
  auto stale = store_->StalePending(system_clock::now() + std::chrono::seconds(1));
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(Ids(*stale), std::vector<std::string>{"bkg-2"})
      << "a crash must leave pending work findable after a restart";
}

// Replicas racing with one idempotency key: one booking is created, every other replica gets
// that booking back.
TEST_P(BookingStoreTest, AnIdempotencyKeyIsUniqueAcrossReplicas) {
  if (GetParam() == Engine::kSqlite) GTEST_SKIP() << "a SQLite file has one process: no replicas";
  constexpr int kReplicas = 3;
  constexpr int kCallsPerReplica = 4;
  std::vector<std::unique_ptr<BookingStore>> replicas;
  for (int r = 0; r < kReplicas; ++r) replicas.push_back(OpenReplica());
  std::mutex mutex;
  std::vector<std::string> created;
  std::set<std::string> answered;
  std::vector<std::thread> threads;
  for (int r = 0; r < kReplicas; ++r) {
    for (int c = 0; c < kCallsPerReplica; ++c) {
      threads.emplace_back([&, r, c] {
        const std::string id = "bkg-" + std::to_string(r) + "-" + std::to_string(c);
        auto begun = replicas[r]->Begin(Pending(id, "alice", 2), "key-shared");
        ASSERT_TRUE(begun.ok()) << begun.status();
        std::lock_guard<std::mutex> lock(mutex);
        if (begun->second) created.push_back(id);
        answered.insert(begun->first.booking.id());
      });
    }
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(answered, std::set<std::string>{created[0]}) << "every loser got the winner";
  auto page = store_->ListByUser("alice", 0, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->bookings.size(), 1u);
}

// Replicas sweeping at the same time: every stale booking is recovered, each by one replica.
TEST_P(BookingStoreTest, TheRecoverySweepHandlesEachBookingOnceAcrossReplicas) {
  if (GetParam() == Engine::kSqlite) GTEST_SKIP() << "a SQLite file has one process: no replicas";
  constexpr int kReplicas = 3;
  constexpr int kStale = 20;
  for (int i = 0; i < kStale; ++i) Begin("bkg-" + std::to_string(i), "alice", 1);
  const auto cutoff = MicrosecondAfter(system_clock::now());
  std::vector<std::unique_ptr<BookingStore>> replicas;
  for (int r = 0; r < kReplicas; ++r) replicas.push_back(OpenReplica());
  std::mutex mutex;
  std::map<std::string, int> handled;
  const Recover recover = [&](const BookingRecord& stale) -> std::optional<BookingRecord> {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++handled[stale.booking.id()];
    }
    // Compensation takes a while (two upstream calls): the other sweeps run meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BookingRecord record = stale;
    record.booking.set_status(v1::Booking::STATUS_FAILED);
    return record;
  };
  std::vector<std::thread> sweeps;
  for (int r = 0; r < kReplicas; ++r) {
    sweeps.emplace_back([&, r] {
      absl::Status swept = replicas[r]->RecoverStalePending(cutoff, recover);
      EXPECT_TRUE(swept.ok()) << swept;
    });
  }
  for (auto& t : sweeps) t.join();
  EXPECT_EQ(handled.size(), static_cast<size_t>(kStale));
  for (const auto& [id, times] : handled) EXPECT_EQ(times, 1) << id << " swept " << times;
  auto stale = store_->StalePending(cutoff);
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(stale->empty());
  EXPECT_EQ(store_->TotalsForEvent(kEvent)->pending, 0);
}

TEST_P(BookingStoreTest, OwedCompensationIsRetriedUntilDone) {
  BookingRecord failed = Begin("bkg-1", "alice", 1);
  failed.booking.set_status(v1::Booking::STATUS_FAILED);
  failed.owed = OwedCompensation::kRefundAndRelease;
  ASSERT_TRUE(store_->Save(failed).ok());
  int calls = 0;
  ASSERT_TRUE(store_
                  ->RecoverOwingCompensation([&](const BookingRecord&) {
                    ++calls;
                    return std::optional<BookingRecord>();  // upstream still down
                  })
                  .ok());
  EXPECT_EQ(store_->OwingCompensation()->size(), 1u);
  ASSERT_TRUE(store_
                  ->RecoverOwingCompensation([&](const BookingRecord& owing) {
                    ++calls;
                    BookingRecord done = owing;
                    done.owed = OwedCompensation::kNone;
                    return std::optional<BookingRecord>(done);
                  })
                  .ok());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(store_->OwingCompensation()->empty());
  EXPECT_EQ(store_->Get("bkg-1")->booking.status(), v1::Booking::STATUS_FAILED);
}

}  // namespace
}  // namespace switchboard::booking
