#include "xds/control_plane.h"

#include "absl/strings/str_cat.h"
#include "common/duration.h"

namespace switchboard::xds {

absl::StatusOr<std::unique_ptr<ControlPlane>> ControlPlane::Create(
    const ControlPlaneOptions& options, ReplicaRegistry::Clock clock) {
  if (options.heartbeat_ttl < ControlPlaneOptions::kMinHeartbeatTtl ||
      options.heartbeat_ttl > ControlPlaneOptions::kMaxHeartbeatTtl) {
    return absl::InvalidArgumentError(
        absl::StrCat("heartbeat-ttl ", common::FormatDuration(options.heartbeat_ttl),
                     " is outside ", common::FormatDuration(ControlPlaneOptions::kMinHeartbeatTtl),
                     "..", common::FormatDuration(ControlPlaneOptions::kMaxHeartbeatTtl)));
  }
  return std::unique_ptr<ControlPlane>(new ControlPlane(options, std::move(clock)));
}

ControlPlane::ControlPlane(const ControlPlaneOptions& options, ReplicaRegistry::Clock clock)
    : options_(options),
      registry_(options.heartbeat_ttl, options.limits, std::move(clock)),
      registry_service_(&registry_,
                        options.heartbeat_ttl / ControlPlaneOptions::kHeartbeatsPerTtl) {
  registry_.SetChangeListener([this] { Rebuild(); });
  Rebuild();
  sweeper_ = std::thread([this] { SweepLoop(); });
}

ControlPlane::~ControlPlane() { StopSweeper(); }

void ControlPlane::BeginShutdown() {
  StopSweeper();
  ads_.Shutdown();
}

void ControlPlane::Rebuild() {
  std::lock_guard<std::mutex> lock(rebuild_mu_);
  ads_.SetResources(BuildResources(registry_.List()));
}

void ControlPlane::SweepLoop() {
  const auto interval = options_.heartbeat_ttl / ControlPlaneOptions::kSweepsPerTtl;
  std::unique_lock<std::mutex> lock(sweep_mu_);
  while (!sweep_cv_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    registry_.ExpireStale();
    lock.lock();
  }
}

void ControlPlane::StopSweeper() {
  {
    std::lock_guard<std::mutex> lock(sweep_mu_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

}  // namespace switchboard::xds
