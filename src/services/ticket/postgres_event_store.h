// EventStore in PostgreSQL, shared by any number of ticket replicas: seats are taken by one
// conditional UPDATE, so concurrent reservations on any replica never oversell or lose a seat.
#pragma once

#include <memory>
#include <string>

#include "common/store/pg_pool.h"
#include "services/ticket/event_store.h"

namespace switchboard::ticket {

class PostgresEventStore final : public EventStore {
 public:
  // Connects, migrates to the newest schema, and keeps up to `options.size` connections.
  static absl::StatusOr<std::unique_ptr<PostgresEventStore>> Open(
      common::store::PgPoolOptions options);

  absl::StatusOr<v1::Event> Get(const std::string& id, absl::Time deadline) override;
  absl::StatusOr<EventPage> List(int page_size, const std::string& page_token,
                                 absl::Time deadline) override;
  absl::StatusOr<v1::Reservation> Reserve(const std::string& event_id, int seats,
                                          const std::string& reservation_id,
                                          const std::function<absl::Status()>& still_wanted,
                                          absl::Time deadline) override;
  absl::StatusOr<v1::Reservation> Release(const std::string& reservation_id,
                                          absl::Time deadline) override;
  absl::StatusOr<int64_t> HeldSeats(const std::string& event_id) override;

  common::store::PgPool& pool() { return *pool_; }

 private:
  explicit PostgresEventStore(std::unique_ptr<common::store::PgPool> pool)
      : pool_(std::move(pool)) {}
  std::unique_ptr<common::store::PgPool> pool_;
};

}  // namespace switchboard::ticket
