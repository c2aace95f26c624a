// Where a gRPC call goes: the configured service for a path, checked against the descriptor
// sets, and the backend picked for this one request (per-request balancing).
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/gateway_config.h"

namespace switchboard::gateway {

struct RouteTarget {
  const ServiceRoute* route = nullptr;
  const google::protobuf::MethodDescriptor* method = nullptr;
};

class Router {
 public:
  // Loads every descriptor set and checks each configured service is defined in them.
  static absl::StatusOr<std::unique_ptr<Router>> Create(const GatewayConfig& config);

  // "/pkg.Service/Method" -> the route; UNIMPLEMENTED for an unknown service or method.
  absl::StatusOr<RouteTarget> Resolve(const std::string& path) const;
  // The backend for the next request to `route` (round robin).
  const Backend& Pick(const ServiceRoute& route);
  const google::protobuf::DescriptorPool& pool() const { return pool_; }

 private:
  explicit Router(const GatewayConfig& config) : config_(config) {}
  GatewayConfig config_;
  google::protobuf::DescriptorPool pool_;
  std::map<std::string, size_t> next_backend_;
};

}  // namespace switchboard::gateway
