// Test helper: a gateway config on a free port, over the project's descriptor set, routing
// each named gRPC service to one backend address.
#pragma once

#include <cstdlib>
#include <map>
#include <string>

#include "gateway/gateway_config.h"

namespace switchboard::gateway {

// The gateway's event loops in the tests: SB_GATEWAY_TEST_WORKERS (ctest runs every gateway
// suite once as it is and once with 2, names suffixed ".workers2"), else 1. Tests that write
// a YAML file for the binary write `workers:` from it too.
inline int TestGatewayWorkers() {
  const char* value = std::getenv("SB_GATEWAY_TEST_WORKERS");
  const int workers = value != nullptr ? std::atoi(value) : 0;
  return workers >= GatewayConfig::kMinWorkers && workers <= GatewayConfig::kMaxWorkers
             ? workers
             : GatewayConfig::kMinWorkers;
}

inline GatewayConfig TestGatewayConfig(const std::map<std::string, std::string>& routes) {
  GatewayConfig config;
  config.listen_port = 0;
  config.workers = TestGatewayWorkers();
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
