// BookingStore in one SQLite file: the embedded default, for a single booking process.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/sqlite_db.h"
#include "services/booking/booking_store.h"

namespace switchboard::booking {

class SqliteBookingStore final : public BookingStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteBookingStore>> Open(const std::string& path);

  absl::StatusOr<std::pair<BookingRecord, bool>> Begin(const v1::Booking& pending,
                                                       const std::string& idempotency_key,
                                                       absl::Time deadline) override;
  absl::Status Save(const BookingRecord& record) override;
  absl::StatusOr<BookingRecord> Get(const std::string& id, absl::Time deadline) override;
  absl::StatusOr<BookingPage> ListByUser(const std::string& user_id, int page_size,
                                         const std::string& page_token,
                                         absl::Time deadline) override;
  absl::StatusOr<std::vector<BookingRecord>> StalePending(
      std::chrono::system_clock::time_point older_than) override;
  absl::StatusOr<std::vector<BookingRecord>> OwingCompensation() override;
  absl::Status RecoverStalePending(std::chrono::system_clock::time_point older_than,
                                   const Recover& recover) override;
  absl::Status RecoverOwingCompensation(const Recover& recover) override;
  absl::StatusOr<Totals> TotalsForEvent(const std::string& event_id) override;

 private:
  explicit SqliteBookingStore(std::unique_ptr<common::Database> db) : db_(std::move(db)) {}
  absl::StatusOr<std::optional<BookingRecord>> FindLocked(const std::string& column,
                                                          const std::string& value);
  std::unique_ptr<common::Database> db_;
};

}  // namespace switchboard::booking
