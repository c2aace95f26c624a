// envoy.service.discovery.v3.AggregatedDiscoveryService, state of the world, on grpc++'s
// callback API: each stream subscribes to names per resource type, ACKs or NACKs by nonce,
// and gets a new version whenever what it subscribed to changes.
#pragma once

#include <memory>
#include <mutex>
#include <set>

#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "xds/resources.h"

namespace switchboard::xds {

class AdsServer final
    : public envoy::service::discovery::v3::AggregatedDiscoveryService::CallbackService {
 public:
  using DiscoveryRequest = envoy::service::discovery::v3::DiscoveryRequest;
  using DiscoveryResponse = envoy::service::discovery::v3::DiscoveryResponse;

  AdsServer();
  ~AdsServer() override;

  // Replaces every resource and pushes to each stream whose subscribed resources changed.
  // Thread-safe.
  void SetResources(ResourceMap resources);
  // Ends every open stream (OK) and refuses new ones; before the grpc++ server shuts down.
  void Shutdown();
  size_t open_streams() const;

  grpc::ServerBidiReactor<DiscoveryRequest, DiscoveryResponse>* StreamAggregatedResources(
      grpc::CallbackServerContext* context) override;

 private:
  class Stream;
  std::shared_ptr<const ResourceMap> resources() const;
  void Remove(Stream* stream);

  mutable std::mutex resources_mu_;
  std::shared_ptr<const ResourceMap> resources_;
  // Held while a stream is poked, so a stream in OnDone waits before it deletes itself.
  mutable std::mutex streams_mu_;
  std::set<Stream*> streams_;
  bool shut_down_ = false;
};

}  // namespace switchboard::xds
