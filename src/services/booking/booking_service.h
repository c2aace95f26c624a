// BookingService: the head of the deadline chain booking -> ticket -> payment -> fraud.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/service.h"

namespace switchboard::booking {

// Needs peers "ticket" and "payment"; "notification" is optional.
absl::StatusOr<std::unique_ptr<common::Service>> MakeBookingService(
    const common::ServiceOptions& options);

class BookingStore;
// The store behind a service made by MakeBookingService, for consistency checks in tests.
BookingStore* BookingStoreOf(common::Service* service);

}  // namespace switchboard::booking
