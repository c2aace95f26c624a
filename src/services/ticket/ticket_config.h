// TicketService settings (block services.ticket), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/call_budget.h"
#include "common/store/store_config.h"

namespace switchboard::ticket {

struct TicketConfig {
  static constexpr char kDefaultDatabase[] = "ticket.db";
  static constexpr int64_t kDefaultMaxSeatsPerReservation = 10;

  // The SQLite file, relative to the data dir; unused when `store` names PostgreSQL.
  std::string database = kDefaultDatabase;
  // `store: postgres://...` and `store_pool_size`: one database for every ticket replica.
  common::store::StoreConfig store;
  // ReserveSeats asks for 1..this many seats at once.
  int max_seats_per_reservation = kDefaultMaxSeatsPerReservation;
  common::DeadlinePolicy deadline_policy;
};

// Reads the block; an unknown key or bad value is an error naming it ("services.ticket.x").
absl::StatusOr<TicketConfig> ReadTicketConfig(const YAML::Node& settings);

}  // namespace switchboard::ticket
