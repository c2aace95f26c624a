// Events and seat counts in SQLite, with the seed catalogue loaded on first start.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sqlite_db.h"
#include "switchboard/ticket/v1/ticket.pb.h"

namespace switchboard::ticket {

struct EventPage {
  std::vector<v1::Event> events;
  std::string next_page_token;
};

class EventStore {
 public:
  static constexpr int kDefaultPageSize = 20;
  static constexpr int kMaxPageSize = 100;

  static absl::StatusOr<std::unique_ptr<EventStore>> Open(const std::string& path);

  absl::StatusOr<v1::Event> Get(const std::string& id);
  // `page_token` is empty or a next_page_token from an earlier page.
  absl::StatusOr<EventPage> List(int page_size, const std::string& page_token);

  // Seats held for a reservation; see TicketService.ReserveSeats for the rules. `still_wanted`
  // is asked just before commit, so a caller that gave up meanwhile takes no seats.
  absl::StatusOr<v1::Reservation> Reserve(const std::string& event_id, int seats,
                                          const std::string& reservation_id,
                                          const std::function<absl::Status()>& still_wanted);
  absl::StatusOr<v1::Reservation> Release(const std::string& reservation_id);

  // Seats of HELD reservations per event, for consistency checks.
  absl::StatusOr<int64_t> HeldSeats(const std::string& event_id);

 private:
  explicit EventStore(std::unique_ptr<common::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<common::Database> db_;
};

}  // namespace switchboard::ticket
