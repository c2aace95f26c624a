// Bookings: created PENDING before the chain starts, made terminal when it ends, and found again
// by idempotency key or, after a crash, as pending work to compensate. One interface, kept in
// SQLite (the embedded default, one process) or PostgreSQL (shared by every booking replica),
// chosen by the `store` setting.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/store_config.h"
#include "switchboard/booking/v1/booking.pb.h"

namespace switchboard::booking {

// What undoing a failed booking still needs after its compensation did not go through (the
// ticket or payment service unreachable): retried in the background until done.
enum class OwedCompensation { kNone = 0, kRelease = 1, kRefundAndRelease = 2 };

// A booking with how it ended: failure_code is the gRPC code a failed booking returned, so a
// retry with the same idempotency key gets the same answer.
struct BookingRecord {
  v1::Booking booking;
  int failure_code = 0;
  OwedCompensation owed = OwedCompensation::kNone;
};

struct BookingPage {
  std::vector<v1::Booking> bookings;
  std::string next_page_token;
};

// The background sweep's work on one booking: its new state to save, or nothing (try again on
// a later sweep).
using Recover = std::function<std::optional<BookingRecord>(const BookingRecord&)>;

// Methods with a `deadline` wait for a database connection no longer than that; the versions
// without one wait as long as the store's own bound allows.
class BookingStore {
 public:
  static constexpr int kDefaultPageSize = 20;
  static constexpr int kMaxPageSize = 100;
  // Bookings one sweep takes on at most, so a backlog is worked through in bounded steps.
  static constexpr int kRecoveryBatch = 50;

  struct Totals {
    int64_t confirmed_seats = 0;
    int64_t confirmed_amount = 0;
    int64_t pending = 0;
  };

  virtual ~BookingStore() = default;

  // Inserts `pending` unless its idempotency key is taken (by any replica); then returns the
  // existing record and `created` false.
  virtual absl::StatusOr<std::pair<BookingRecord, bool>> Begin(const v1::Booking& pending,
                                                               const std::string& idempotency_key,
                                                               absl::Time deadline) = 0;
  virtual absl::Status Save(const BookingRecord& record) = 0;
  virtual absl::StatusOr<BookingRecord> Get(const std::string& id, absl::Time deadline) = 0;
  virtual absl::StatusOr<BookingPage> ListByUser(const std::string& user_id, int page_size,
                                                 const std::string& page_token,
                                                 absl::Time deadline) = 0;
  // PENDING bookings created before `older_than`: work a crash or a lost compensation left.
  virtual absl::StatusOr<std::vector<BookingRecord>> StalePending(
      std::chrono::system_clock::time_point older_than) = 0;
  // FAILED bookings whose compensation is still owed.
  virtual absl::StatusOr<std::vector<BookingRecord>> OwingCompensation() = 0;
  // Hands each StalePending (resp. OwingCompensation) booking to `recover` and saves what it
  // returns. However many replicas sweep at once, a booking is handed to one of them only:
  // PostgreSQL locks it (FOR UPDATE SKIP LOCKED) until its new state is saved.
  virtual absl::Status RecoverStalePending(std::chrono::system_clock::time_point older_than,
                                           const Recover& recover) = 0;
  virtual absl::Status RecoverOwingCompensation(const Recover& recover) = 0;
  virtual absl::StatusOr<Totals> TotalsForEvent(const std::string& event_id) = 0;

  absl::StatusOr<std::pair<BookingRecord, bool>> Begin(const v1::Booking& pending,
                                                       const std::string& idempotency_key) {
    return Begin(pending, idempotency_key, absl::InfiniteFuture());
  }
  absl::StatusOr<BookingRecord> Get(const std::string& id) {
    return Get(id, absl::InfiniteFuture());
  }
  absl::StatusOr<BookingPage> ListByUser(const std::string& user_id, int page_size,
                                         const std::string& page_token) {
    return ListByUser(user_id, page_size, page_token, absl::InfiniteFuture());
  }
};

// The store `config` names: PostgreSQL for a postgres:// URL, else the SQLite file at
// `sqlite_path`. Either way migrated to the newest schema before it is returned.
absl::StatusOr<std::unique_ptr<BookingStore>> OpenBookingStore(
    const common::store::StoreConfig& config, const std::string& sqlite_path);

}  // namespace switchboard::booking
