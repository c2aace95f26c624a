// Events, seat counts and reservations: one interface, kept in SQLite (the embedded default, one
// process) or PostgreSQL (shared by every ticket replica), chosen by the `store` setting.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/store_config.h"
#include "switchboard/ticket/v1/ticket.pb.h"

namespace switchboard::ticket {

struct EventPage {
  std::vector<v1::Event> events;
  std::string next_page_token;
};

// Every method is bounded by `deadline`: a wait for a database connection ends there.
// Versions without one wait as long as the store's own bound allows (tests, consistency checks).
class EventStore {
 public:
  static constexpr int kDefaultPageSize = 20;
  static constexpr int kMaxPageSize = 100;

  virtual ~EventStore() = default;

  virtual absl::StatusOr<v1::Event> Get(const std::string& id, absl::Time deadline) = 0;
  // `page_token` is empty or a next_page_token from an earlier page.
  virtual absl::StatusOr<EventPage> List(int page_size, const std::string& page_token,
                                         absl::Time deadline) = 0;

  // Seats held for a reservation; see TicketService.ReserveSeats for the rules. `still_wanted`
  // is asked just before commit, so a caller that gave up meanwhile takes no seats.
  virtual absl::StatusOr<v1::Reservation> Reserve(const std::string& event_id, int seats,
                                                  const std::string& reservation_id,
                                                  const std::function<absl::Status()>& still_wanted,
                                                  absl::Time deadline) = 0;
  virtual absl::StatusOr<v1::Reservation> Release(const std::string& reservation_id,
                                                  absl::Time deadline) = 0;

  // Seats of HELD reservations per event, for consistency checks.
  virtual absl::StatusOr<int64_t> HeldSeats(const std::string& event_id) = 0;

  absl::StatusOr<v1::Event> Get(const std::string& id) { return Get(id, absl::InfiniteFuture()); }
  absl::StatusOr<EventPage> List(int page_size, const std::string& page_token) {
    return List(page_size, page_token, absl::InfiniteFuture());
  }
  absl::StatusOr<v1::Reservation> Reserve(const std::string& event_id, int seats,
                                          const std::string& reservation_id,
                                          const std::function<absl::Status()>& still_wanted) {
    return Reserve(event_id, seats, reservation_id, still_wanted, absl::InfiniteFuture());
  }
  absl::StatusOr<v1::Reservation> Release(const std::string& reservation_id) {
    return Release(reservation_id, absl::InfiniteFuture());
  }
};

// The store `config` names: PostgreSQL for a postgres:// URL, else the SQLite file at
// `sqlite_path`. Either way migrated to the newest schema before it is returned.
absl::StatusOr<std::unique_ptr<EventStore>> OpenEventStore(const common::store::StoreConfig& config,
                                                           const std::string& sqlite_path);

}  // namespace switchboard::ticket
