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
  using Pool = google::protobuf::DescriptorPool;
  // Loads every descriptor set into one pool, complete when this returns. The gateway's
  // workers share it, each with a Router of its own: after this it is only read (Find*ByName
  // and the descriptors it returns), and a pool built by BuildFile without a fallback
  // database or underlay answers those from tables nothing changes any more (protobuf takes
  // no lock and fills no cache for it; the descriptors' lazily built lookups use call_once).
  static absl::StatusOr<std::shared_ptr<const Pool>> LoadDescriptors(const GatewayConfig& config);
  // What `config`'s services need: each defined in `pool`, each balancer buildable. Changes
  // nothing; Create and Reload fail with the same message for a config this refuses.
  static absl::Status CheckServices(const GatewayConfig& config, const Pool& pool);

  // Loads every descriptor set and checks each configured service is defined in them.
  static absl::StatusOr<std::unique_ptr<Router>> Create(const GatewayConfig& config);
  // The same over a pool already loaded (by LoadDescriptors for `config.descriptors`).
  static absl::StatusOr<std::unique_ptr<Router>> Create(const GatewayConfig& config,
                                                        std::shared_ptr<const Pool> pool);

  // "/pkg.Service/Method" -> the route; UNIMPLEMENTED for an unknown service or method.
  // The route pointer is valid until the next Reload.
  absl::StatusOr<RouteTarget> Resolve(const std::string& path) const;

  // Applies a new configuration's services (routes, backends, balancing, timeouts) without
  // touching calls in flight. Refuses a change of descriptor sets, or a service they do not
  // define, and then changes nothing. Returns the endpoints that left (now draining), each
  // with its service.
  using Removed = std::vector<std::pair<std::string, std::shared_ptr<lb::Endpoint>>>;
  absl::StatusOr<Removed> Reload(const GatewayConfig& config);

  const Pool& pool() const { return *pool_; }
  const std::shared_ptr<const Pool>& shared_pool() const { return pool_; }
  const GatewayConfig& config() const { return config_; }
  const std::map<std::string, std::shared_ptr<lb::Balancer>>& balancers() const {
    return balancers_;
  }

 private:
  Router(const GatewayConfig& config, std::shared_ptr<const Pool> pool)
      : config_(config), pool_(std::move(pool)) {}
  GatewayConfig config_;
  std::shared_ptr<const Pool> pool_;
  std::map<std::string, std::shared_ptr<lb::Balancer>> balancers_;
};

// The balancer's view of a route's configuration.
lb::BalancerOptions BalancerOptionsOf(const ServiceRoute& route);
std::vector<lb::EndpointSpec> EndpointSpecsOf(const ServiceRoute& route);

}  // namespace switchboard::gateway
