// The replicas the control plane knows: registered, kept alive by heartbeats, weighted by
// operators, expired when heartbeats stop. Pure logic with an injectable clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "xds/replica_address.h"

namespace switchboard::xds {

struct LoadReport {
  uint64_t in_flight_calls = 0;
  uint64_t calls_served = 0;  // since the previous report
};

struct ReplicaInfo {
  std::string service;
  std::string address;
  std::string server_id;
  ReplicaAddress endpoint;  // `address`, parsed
  uint32_t weight = 1;
  LoadReport last_load;
  std::chrono::steady_clock::time_point last_seen;
};

struct RegistryLimits {
  static constexpr size_t kDefaultMaxReplicas = 1024;
  static constexpr size_t kMaxNameBytes = 200;
  static constexpr uint32_t kDefaultMaxWeight = 10000;
  size_t max_replicas = kDefaultMaxReplicas;
  // Locality weights are summed as uint32 by clients, so one service's total must fit.
  uint32_t max_weight = kDefaultMaxWeight;
};

class ReplicaRegistry {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Called after every change of the endpoint set, weights included, without the lock held.
  using ChangeListener = std::function<void()>;

  explicit ReplicaRegistry(std::chrono::milliseconds ttl, RegistryLimits limits = {},
                           Clock clock = std::chrono::steady_clock::now);

  // Must be set before the registry is shared between threads.
  void SetChangeListener(ChangeListener listener) { listener_ = std::move(listener); }

  // Adds a replica, or refreshes one registered with the same service and address (keeping
  // its weight). `initial_weight` 0 means 1.
  absl::Status Register(const std::string& service, const std::string& address,
                        const std::string& server_id, uint32_t initial_weight);
  absl::Status Heartbeat(const std::string& server_id, const LoadReport& load);
  absl::Status Deregister(const std::string& server_id);
  absl::StatusOr<ReplicaInfo> SetWeight(const std::string& server_id, uint32_t weight);
  // Removes every replica not seen for the TTL; returns the server ids removed.
  std::vector<std::string> ExpireStale();

  // Replicas of `service` (all when empty), ordered by service then server id.
  std::vector<ReplicaInfo> List(const std::string& service = "") const;
  std::chrono::milliseconds ttl() const { return ttl_; }
  std::chrono::steady_clock::time_point Now() const { return clock_(); }

 private:
  absl::Status ValidateName(const char* field, const std::string& value) const;
  void NotifyChanged();

  const std::chrono::milliseconds ttl_;
  const RegistryLimits limits_;
  const Clock clock_;
  ChangeListener listener_;
  mutable std::mutex mu_;
  std::map<std::string, ReplicaInfo> replicas_;  // by server_id
};

}  // namespace switchboard::xds
