#include "services/ticket/reservation_rules.h"

#include "absl/strings/str_cat.h"

namespace switchboard::ticket {

absl::Status CheckRepeatedReserve(const v1::Reservation& existing, const std::string& event_id,
                                  int seats) {
  if (existing.state() == v1::Reservation::STATE_RELEASED) {
    return absl::AbortedError(
        absl::StrCat("reservation ", existing.reservation_id(), " was already released"));
  }
  if (existing.event_id() != event_id || existing.seats() != seats) {
    return absl::InvalidArgumentError(absl::StrCat("reservation_id ", existing.reservation_id(),
                                                   " already holds ", existing.seats(),
                                                   " seats of ", existing.event_id()));
  }
  return absl::OkStatus();
}

absl::Status EventNotFound(const std::string& event_id) {
  return absl::NotFoundError(absl::StrCat("event \"", event_id, "\" not found"));
}

absl::Status TooFewSeats(const std::string& event_id, int64_t available, int seats) {
  return absl::FailedPreconditionError(
      absl::StrCat("event ", event_id, " has ", available, " seats left, ", seats, " requested"));
}

}  // namespace switchboard::ticket
