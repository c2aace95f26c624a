// Test helper: a gateway config on a free port, over the project's descriptor set, routing
// each named gRPC service to one backend address.
#pragma once

#include <map>
#include <string>

#include "gateway/gateway_config.h"

namespace switchboard::gateway {

inline GatewayConfig TestGatewayConfig(const std::map<std::string, std::string>& routes) {
  GatewayConfig config;
  config.listen_port = 0;
  config.descriptors = {SB_DESCRIPTOR_SET};
  // Short, so that a test ending with calls still open does not wait the default 2 s.
  config.limits.shutdown_grace = std::chrono::milliseconds(300);
  for (const auto& [service, address] : routes) {
    ServiceRoute route;
    route.name = service;
    route.backends = {*ParseBackend(address)};
    config.services[service] = route;
  }
  return config;
}

}  // namespace switchboard::gateway
