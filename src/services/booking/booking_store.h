// Bookings in SQLite: created PENDING before the chain starts, made terminal when it ends, and
// found again by idempotency key or, after a crash, as pending work to compensate.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sqlite_db.h"
#include "switchboard/booking/v1/booking.pb.h"

namespace switchboard::booking {

// A booking with how it ended: failure_code is the gRPC code a failed booking returned, so a
// retry with the same idempotency key gets the same answer.
// What undoing a failed booking still needs after its compensation did not go through (the
// ticket or payment service unreachable): retried in the background until done.
enum class OwedCompensation { kNone = 0, kRelease = 1, kRefundAndRelease = 2 };

struct BookingRecord {
  v1::Booking booking;
  int failure_code = 0;
  OwedCompensation owed = OwedCompensation::kNone;
};

struct BookingPage {
  std::vector<v1::Booking> bookings;
  std::string next_page_token;
};

class BookingStore {
 public:
  static constexpr int kDefaultPageSize = 20;
  static constexpr int kMaxPageSize = 100;

  static absl::StatusOr<std::unique_ptr<BookingStore>> Open(const std::string& path);

  // Inserts `pending` unless its idempotency key is taken; then returns the existing record
  // and `created` false.
  absl::StatusOr<std::pair<BookingRecord, bool>> Begin(const v1::Booking& pending,
                                                       const std::string& idempotency_key);
  absl::Status Save(const BookingRecord& record);
  absl::StatusOr<BookingRecord> Get(const std::string& id);
  absl::StatusOr<BookingPage> ListByUser(const std::string& user_id, int page_size,
                                         const std::string& page_token);
  // PENDING bookings created before `older_than`: work a crash or a lost compensation left.
  absl::StatusOr<std::vector<BookingRecord>> StalePending(
      std::chrono::system_clock::time_point older_than);
  // FAILED bookings whose compensation is still owed.
  absl::StatusOr<std::vector<BookingRecord>> OwingCompensation();

  struct Totals {
    int64_t confirmed_seats = 0;
    int64_t confirmed_amount = 0;
    int64_t pending = 0;
  };
  absl::StatusOr<Totals> TotalsForEvent(const std::string& event_id);

 private:
  explicit BookingStore(std::unique_ptr<common::Database> db) : db_(std::move(db)) {}
  absl::StatusOr<std::optional<BookingRecord>> FindLocked(const std::string& column,
                                                          const std::string& value);
  std::unique_ptr<common::Database> db_;
};

}  // namespace switchboard::booking
