// BookingService settings (block services.booking), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/call_budget.h"
#include "common/store/store_config.h"

namespace switchboard::booking {

struct BookingConfig {
  static constexpr char kDefaultDatabase[] = "booking.db";
  static constexpr int64_t kDefaultMaxSeats = 10;
  static constexpr std::chrono::milliseconds kDefaultMinChainBudget{20};
  static constexpr std::chrono::milliseconds kDefaultMinPaymentBudget{10};
  static constexpr std::chrono::milliseconds kDefaultCompensationTimeout{5000};
  static constexpr std::chrono::milliseconds kDefaultNotificationTimeout{2000};
  static constexpr std::chrono::milliseconds kDefaultRecoveryInterval{5000};

  // The SQLite file, relative to the data dir; unused when `store` names PostgreSQL.
  std::string database = kDefaultDatabase;
  // `store: postgres://...` and `store_pool_size`: one database for every booking replica.
  common::store::StoreConfig store;
  // CreateBooking asks for 1..this many seats at once.
  int max_seats = kDefaultMaxSeats;
  // Less budget than this on arrival: fail fast, call nobody.
  std::chrono::milliseconds min_chain_budget = kDefaultMinChainBudget;
  // Less budget than this after the seats are held: do not charge, release the seats.
  std::chrono::milliseconds min_payment_budget = kDefaultMinPaymentBudget;
  // Compensation runs after the caller's deadline, so it has its own.
  std::chrono::milliseconds compensation_timeout = kDefaultCompensationTimeout;
  std::chrono::milliseconds notification_timeout = kDefaultNotificationTimeout;
  // How often PENDING bookings left by a crash are cleaned up, and the compensation a failed
  // booking still owes (its upstream was unreachable) is tried again.
  std::chrono::milliseconds recovery_interval = kDefaultRecoveryInterval;
  common::DeadlinePolicy deadline_policy;
};

// Reads the block; an unknown key or bad value is an error naming it ("services.booking.x").
absl::StatusOr<BookingConfig> ReadBookingConfig(const YAML::Node& settings);

}  // namespace switchboard::booking
