// EventStore in one SQLite file: the embedded default, for a single ticket process.
#pragma once

#include <memory>
#include <string>

#include "common/sqlite_db.h"
#include "services/ticket/event_store.h"

namespace switchboard::ticket {

class SqliteEventStore final : public EventStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteEventStore>> Open(const std::string& path);

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

 private:
  explicit SqliteEventStore(std::unique_ptr<common::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<common::Database> db_;
};

}  // namespace switchboard::ticket
