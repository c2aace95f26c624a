#include "xds/registry_service.h"

#include "common/status.h"

namespace switchboard::xds {
namespace {

grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, const absl::Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(common::ToGrpcStatus(status));
  return reactor;
}

}  // namespace

void RegistryService::ToProto(const ReplicaInfo& info, v1::Replica* out) const {
  out->set_service(info.service);
  out->set_address(info.address);
  out->set_server_id(info.server_id);
  out->set_weight(info.weight);
  out->mutable_last_load()->set_in_flight_calls(info.last_load.in_flight_calls);
  out->mutable_last_load()->set_calls_served(info.last_load.calls_served);
  const auto ago =
      std::chrono::duration_cast<std::chrono::milliseconds>(registry_->Now() - info.last_seen);
  out->set_last_seen_ms_ago(ago.count() < 0 ? 0 : static_cast<uint64_t>(ago.count()));
}

grpc::ServerUnaryReactor* RegistryService::Register(grpc::CallbackServerContext* context,
                                                    const v1::RegisterRequest* request,
                                                    v1::RegisterResponse* response) {
  absl::Status status = registry_->Register(request->service(), request->address(),
                                            request->server_id(), request->initial_weight());
  if (status.ok()) response->set_heartbeat_interval_ms(heartbeat_interval_.count());
  return Done(context, status);
}

grpc::ServerUnaryReactor* RegistryService::Heartbeat(grpc::CallbackServerContext* context,
                                                     const v1::HeartbeatRequest* request,
                                                     v1::HeartbeatResponse* /*response*/) {
  LoadReport load;
  load.in_flight_calls = request->load().in_flight_calls();
  load.calls_served = request->load().calls_served();
  return Done(context, registry_->Heartbeat(request->server_id(), load));
}

grpc::ServerUnaryReactor* RegistryService::Deregister(grpc::CallbackServerContext* context,
                                                      const v1::DeregisterRequest* request,
                                                      v1::DeregisterResponse* /*response*/) {
  return Done(context, registry_->Deregister(request->server_id()));
}

grpc::ServerUnaryReactor* RegistryService::SetWeight(grpc::CallbackServerContext* context,
                                                     const v1::SetWeightRequest* request,
                                                     v1::SetWeightResponse* response) {
  auto info = registry_->SetWeight(request->server_id(), request->weight());
  if (info.ok()) ToProto(*info, response->mutable_replica());
  return Done(context, info.status());
}

grpc::ServerUnaryReactor* RegistryService::ListReplicas(grpc::CallbackServerContext* context,
                                                        const v1::ListReplicasRequest* request,
                                                        v1::ListReplicasResponse* response) {
  for (const ReplicaInfo& info : registry_->List(request->service())) {
    ToProto(info, response->add_replicas());
  }
  return Done(context, absl::OkStatus());
}

}  // namespace switchboard::xds
