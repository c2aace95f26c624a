// Where a gRPC call goes: the configured service for a path, checked against the descriptor
// sets, with the balancer that picks its backend per request and whether it may be retried.
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/gateway_config.h"
#include "lb/balancer.h"

namespace switchboard::gateway {

struct RouteTarget {
  const ServiceRoute* route = nullptr;
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::shared_ptr<lb::Balancer> balancer;
  // The method declares idempotency_level (NO_SIDE_EFFECTS or IDEMPOTENT) and takes one
  // request message, so a failed try may go to another backend.
  bool retryable = false;
};

class Router {
 public:
  // Loads every descriptor set and checks each configured service is defined in them.
  static absl::StatusOr<std::unique_ptr<Router>> Create(const GatewayConfig& config);

  // "/pkg.Service/Method" -> the route; UNIMPLEMENTED for an unknown service or method.
  // The route pointer is valid until the next Reload.
  absl::StatusOr<RouteTarget> Resolve(const std::string& path) const;

  // Applies a new configuration's services (routes, backends, balancing, timeouts) without
  // touching calls in flight. Refuses a change of descriptor sets, or a service they do not
  // define, and then changes nothing. Returns the endpoints that left (now draining), each
  // with its service.
  using Removed = std::vector<std::pair<std::string, std::shared_ptr<lb::Endpoint>>>;
  absl::StatusOr<Removed> Reload(const GatewayConfig& config);

  const google::protobuf::DescriptorPool& pool() const { return pool_; }
  const GatewayConfig& config() const { return config_; }
  const std::map<std::string, std::shared_ptr<lb::Balancer>>& balancers() const {
    return balancers_;
  }

 private:
  explicit Router(const GatewayConfig& config) : config_(config) {}
  GatewayConfig config_;
  google::protobuf::DescriptorPool pool_;
  std::map<std::string, std::shared_ptr<lb::Balancer>> balancers_;
};

// The balancer's view of a route's configuration.
lb::BalancerOptions BalancerOptionsOf(const ServiceRoute& route);
std::vector<lb::EndpointSpec> EndpointSpecsOf(const ServiceRoute& route);

}  // namespace switchboard::gateway
