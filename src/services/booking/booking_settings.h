// Settings of the booking service, with their defaults.
#pragma once

#include <chrono>
#include <string>

#include "common/call_budget.h"

namespace switchboard::booking {

struct BookingSettings {
  std::string database = "booking.db";
  int max_seats = 10;
  // Less budget than this on arrival: fail fast, call nobody.
  std::chrono::milliseconds min_chain_budget{20};
  // Less budget than this after the seats are held: do not charge, release the seats.
  std::chrono::milliseconds min_payment_budget{10};
  // Compensation runs after the caller's deadline, so it has its own.
  std::chrono::milliseconds compensation_timeout{5000};
  std::chrono::milliseconds notification_timeout{2000};
  // How often PENDING bookings left by a crash or a failed compensation are cleaned up.
  std::chrono::milliseconds recovery_interval{5000};
  common::DeadlinePolicy deadlines;
};

}  // namespace switchboard::booking
