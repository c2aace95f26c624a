// The answers ReserveSeats gives whatever the engine: a repeated reservation id, an unknown
// event, too few seats.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "switchboard/ticket/v1/ticket.pb.h"

namespace switchboard::ticket {

// A ReserveSeats for an id already stored: OK (the same reservation again), ABORTED when it
// was released, INVALID_ARGUMENT when it asked for other seats.
absl::Status CheckRepeatedReserve(const v1::Reservation& existing, const std::string& event_id,
                                  int seats);
absl::Status EventNotFound(const std::string& event_id);
absl::Status TooFewSeats(const std::string& event_id, int64_t available, int seats);

}  // namespace switchboard::ticket
