// TicketService: the event catalogue over gRPC.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/service.h"

namespace switchboard::ticket {

absl::StatusOr<std::unique_ptr<common::Service>> MakeTicketService(
    const common::ServiceOptions& options);

}  // namespace switchboard::ticket
