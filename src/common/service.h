// What every Switchboard service provides to the process that hosts it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/impl/codegen/service_type.h>
#include <yaml-cpp/yaml.h>

#include "absl/status/statusor.h"
#include "common/bus/bus_config.h"
#include "common/internal_channel.h"

namespace switchboard::common {

struct ServiceOptions {
  std::string name;      // "ticket", "stock", ...
  std::string data_dir;  // where the service keeps its files; created if missing
  YAML::Node settings;   // the service's own block of the system config
  // Other services by name -> a grpc++ target reaching all their replicas.
  std::map<std::string, std::string> peers;
  ChannelPolicy channel_policy;  // how calls to peers are balanced and retried
  bus::BusConfig bus;            // what replicas share streams through (the system config's)
};

class Service {
 public:
  virtual ~Service() = default;
  // The grpc++ services to register; owned by this object.
  virtual std::vector<grpc::Service*> GrpcServices() = 0;
  // Called once the server has stopped taking calls and those in flight had their grace
  // period (common::HostOptions::shutdown_grace): ends whatever still runs, with UNAVAILABLE,
  // and stops background work, so shutdown does not wait for clients that never hang up.
  virtual void BeginShutdown() {}
  // True for a service whose streams never end by themselves (subscriptions, price watches,
  // chats, xDS streams): its BeginShutdown runs as soon as the server stops taking calls, as
  // waiting out the grace for them would only delay the stop.
  virtual bool HasEndlessStreams() const { return false; }
  // Given once the server runs: sets the server's grpc.health.v1 status, for a service that
  // cannot serve while something it needs is away (chat while its bus is down). Never called
  // once BeginShutdown has begun.
  virtual void AttachHealth(std::function<void(bool serving)> set_serving) { (void)set_serving; }
};

// Builds a service from its options; fails with a message naming a bad setting.
using ServiceFactory =
    std::function<absl::StatusOr<std::unique_ptr<Service>>(const ServiceOptions& options)>;

}  // namespace switchboard::common
