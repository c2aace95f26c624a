// TicketService: the event catalogue over gRPC.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/service.h"

namespace switchboard::ticket {

absl::StatusOr<std::unique_ptr<common::Service>> MakeTicketService(
    const common::ServiceOptions& options);

class EventStore;
// The store behind a service made by MakeTicketService, for consistency checks in tests;
// nullptr for any other service.
EventStore* TicketStoreOf(common::Service* service);

}  // namespace switchboard::ticket
