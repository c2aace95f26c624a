// switchboard.xds.v1.ReplicaRegistryService over a ReplicaRegistry: the wire side of
// registration, heartbeats, operator weights and listings.
#pragma once

#include "switchboard/xds/v1/registry.grpc.pb.h"
#include "xds/replica_registry.h"

namespace switchboard::xds {

class RegistryService final : public v1::ReplicaRegistryService::CallbackService {
 public:
  RegistryService(ReplicaRegistry* registry, std::chrono::milliseconds heartbeat_interval)
      : registry_(registry), heartbeat_interval_(heartbeat_interval) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* context,
                                     const v1::RegisterRequest* request,
                                     v1::RegisterResponse* response) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const v1::HeartbeatRequest* request,
                                      v1::HeartbeatResponse* response) override;
  grpc::ServerUnaryReactor* Deregister(grpc::CallbackServerContext* context,
                                       const v1::DeregisterRequest* request,
                                       v1::DeregisterResponse* response) override;
  grpc::ServerUnaryReactor* SetWeight(grpc::CallbackServerContext* context,
                                      const v1::SetWeightRequest* request,
                                      v1::SetWeightResponse* response) override;
  grpc::ServerUnaryReactor* ListReplicas(grpc::CallbackServerContext* context,
                                         const v1::ListReplicasRequest* request,
                                         v1::ListReplicasResponse* response) override;

 private:
  void ToProto(const ReplicaInfo& info, v1::Replica* out) const;

  ReplicaRegistry* const registry_;
  const std::chrono::milliseconds heartbeat_interval_;
};

}  // namespace switchboard::xds
