#include "common/bus/open_bus.h"

#include "absl/strings/str_cat.h"
#include "common/bus/nats_bus.h"

namespace switchboard::bus {

absl::StatusOr<std::shared_ptr<Bus>> OpenSharedBus(const BusConfig& config,
                                                   const std::string& client_name) {
  if (config.kind == kInProcess) return std::shared_ptr<Bus>();
  if (config.kind != kNats) {
    return absl::InvalidArgumentError(
        absl::StrCat("bus.kind: \"", config.kind, "\" is not inprocess or nats"));
  }
  NatsOptions options;
  options.url = config.url;
  options.client_name = client_name;
  auto connected = NatsBus::Connect(options);
  if (!connected.ok()) return connected.status();
  return std::shared_ptr<Bus>(std::move(*connected));
}

}  // namespace switchboard::bus
