// TicketService settings (block services.ticket), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/call_budget.h"

namespace switchboard::ticket {

struct TicketConfig {
  static constexpr char kDefaultDatabase[] = "ticket.db";
  static constexpr int64_t kDefaultMaxSeatsPerReservation = 10;

  // The SQLite file, relative to the data dir.
  std::string database = kDefaultDatabase;
  // ReserveSeats asks for 1..this many seats at once.
  int max_seats_per_reservation = kDefaultMaxSeatsPerReservation;
  common::DeadlinePolicy deadline_policy;
};

// Reads the block; an unknown key or bad value is an error naming it ("services.ticket.x").
absl::StatusOr<TicketConfig> ReadTicketConfig(const YAML::Node& settings);

}  // namespace switchboard::ticket
