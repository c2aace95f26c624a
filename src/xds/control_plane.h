// What `switchboard xds` serves: the ADS server and the replica registry on one grpc++ server,
// plus the sweeper that expires replicas whose heartbeats stopped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/service.h"
#include "xds/ads_server.h"
#include "xds/registry_service.h"
#include "xds/replica_registry.h"

namespace switchboard::xds {

struct ControlPlaneOptions {
  static constexpr std::chrono::milliseconds kDefaultHeartbeatTtl{3000};
  // Replicas are asked to heartbeat this many times per TTL, so one late or lost heartbeat
  // never expires a live replica.
  static constexpr int kHeartbeatsPerTtl = 3;
  // The sweeper looks this many times per TTL: a dead replica leaves at most TTL/20 late.
  static constexpr int kSweepsPerTtl = 20;
  static constexpr std::chrono::milliseconds kMinHeartbeatTtl{100};
  static constexpr std::chrono::milliseconds kMaxHeartbeatTtl{std::chrono::hours(1)};
  std::chrono::milliseconds heartbeat_ttl = kDefaultHeartbeatTtl;
  RegistryLimits limits;
};

class ControlPlane final : public common::Service {
 public:
  // Fails when heartbeat_ttl is outside [kMinHeartbeatTtl, kMaxHeartbeatTtl].
  static absl::StatusOr<std::unique_ptr<ControlPlane>> Create(
      const ControlPlaneOptions& options,
      ReplicaRegistry::Clock clock = std::chrono::steady_clock::now);
  ~ControlPlane() override;

  std::vector<grpc::Service*> GrpcServices() override { return {&ads_, &registry_service_}; }
  void BeginShutdown() override;
  bool HasEndlessStreams() const override { return true; }

  ReplicaRegistry& registry() { return registry_; }
  AdsServer& ads() { return ads_; }

 private:
  explicit ControlPlane(const ControlPlaneOptions& options, ReplicaRegistry::Clock clock);
  void Rebuild();
  void SweepLoop();
  void StopSweeper();

  const ControlPlaneOptions options_;
  ReplicaRegistry registry_;
  AdsServer ads_;
  RegistryService registry_service_;
  // Serializes rebuilds, so resources built from an older registry never replace newer ones.
  std::mutex rebuild_mu_;
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace switchboard::xds
