// BookingStore in PostgreSQL, shared by any number of booking replicas: an idempotency key is
// unique across all of them (the first insert wins, the others get its booking), and the
// recovery sweep claims each booking with FOR UPDATE SKIP LOCKED so one replica handles it.
#pragma once

#include <memory>
#include <string>

#include "common/store/pg_pool.h"
#include "services/booking/booking_store.h"

namespace switchboard::booking {

class PostgresBookingStore final : public BookingStore {
 public:
  // Connects, migrates to the newest schema, and keeps up to `options.size` connections.
  static absl::StatusOr<std::unique_ptr<PostgresBookingStore>> Open(
      common::store::PgPoolOptions options);

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

  common::store::PgPool& pool() { return *pool_; }

 private:
  explicit PostgresBookingStore(std::unique_ptr<common::store::PgPool> pool)
      : pool_(std::move(pool)) {}
  // Rows `sql` selects with `params`, read into records.
  absl::StatusOr<std::vector<BookingRecord>> Select(const std::string& sql,
                                                    const std::vector<std::string>& params,
                                                    absl::Time deadline);
  // One transaction: locks up to kRecoveryBatch rows `sql` selects, skipping rows another
  // replica holds, hands each to `recover` and saves what it returns.
  absl::Status Claim(const std::string& sql, const std::vector<std::string>& params,
                     const Recover& recover);
  std::unique_ptr<common::store::PgPool> pool_;
};

}  // namespace switchboard::booking
