// The bus a service's replicas share, from the system config's `bus` block.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/bus/bus.h"
#include "common/bus/bus_config.h"

namespace switchboard::bus {

// nullptr for the in-process default: a bus that reaches only this process adds nothing to a
// service's own fan-out, which then runs exactly as without a bus. For NATS, a connected
// NatsBus, or UNAVAILABLE naming the URL.
absl::StatusOr<std::shared_ptr<Bus>> OpenSharedBus(const BusConfig& config,
                                                   const std::string& client_name);

}  // namespace switchboard::bus
