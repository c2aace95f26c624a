// Channels for calls between services. All internal clients get theirs here, so channel-wide
// behaviour (message limits, keepalive, balancing, health checking, retries) is set in one
// place.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>

namespace switchboard::common {

struct ChannelPolicy {
  // grpc++'s own balancing across the target's addresses: "round_robin" or "pick_first".
  std::string lb_policy = "round_robin";
  // Tries (first one included) of a call to a method the contract marks idempotent
  // (idempotency_level), on UNAVAILABLE; other methods are never retried.
  int idempotent_attempts = 3;
};

// The grpc service config for calls to `service` (a full gRPC service name): the balancing
// policy, grpc.health.v1 health checking (a NOT_SERVING replica gets no new calls) and the
// retry policy for its idempotent methods, read from the compiled-in contracts.
std::string InternalServiceConfigJson(const std::string& service, const ChannelPolicy& policy);

// `target` is "host:port", a static list "ipv4:h:p1,h:p2", "dns:///name:port" or "xds:///name".
std::shared_ptr<grpc::Channel> MakeInternalChannel(const std::string& target,
                                                   const std::string& service,
                                                   const ChannelPolicy& policy = {});

}  // namespace switchboard::common
