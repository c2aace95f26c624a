// The replica side of the registry: registers a serving process with `switchboard xds`,
// heartbeats with a load report on its own thread, re-registers when the control plane has
// forgotten it, and deregisters when the handle goes away.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "switchboard/xds/v1/registry.grpc.pb.h"
#include "xds/load_counter.h"

namespace switchboard::xds {

// Read once per heartbeat; cumulative counts, the client sends the difference.
using LoadSource = std::function<LoadCounts()>;

struct RegistrationOptions {
  static constexpr std::chrono::milliseconds kDefaultRpcTimeout{2000};
  static constexpr std::chrono::milliseconds kDefaultRetryInterval{500};
  static constexpr std::chrono::milliseconds kMinHeartbeatInterval{10};
  static constexpr std::chrono::milliseconds kMaxHeartbeatInterval{std::chrono::minutes(10)};
  std::string xds_address;  // "host:port" of `switchboard xds`
  std::string service;      // "ticket"
  std::string address;      // where this replica serves, "IP:PORT"
  std::string server_id;    // "ticket-1@127.0.0.1:50061"
  LoadSource load_source;   // empty: reports zeros
  uint32_t initial_weight = 1;
  std::chrono::milliseconds rpc_timeout = kDefaultRpcTimeout;
  // How soon to try again while the control plane is unreachable or refused nothing yet.
  std::chrono::milliseconds retry_interval = kDefaultRetryInterval;
};

class Registration {
 public:
  // Registers once, synchronously. A refusal (bad service, address or server id) is returned;
  // an unreachable control plane is not: the handle keeps trying in the background.
  static absl::StatusOr<std::unique_ptr<Registration>> Start(RegistrationOptions options);
  static absl::StatusOr<std::unique_ptr<Registration>> Start(const std::string& xds_address,
                                                             const std::string& service,
                                                             const std::string& address,
                                                             const std::string& server_id,
                                                             LoadSource load_source = {});
  // Stops heartbeating and deregisters (bounded by rpc_timeout).
  ~Registration();
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

  // True once the control plane accepted the last register or heartbeat.
  bool registered() const;
  // Stops heartbeating without deregistering, as a crashed process would (for tests).
  void Abandon();

 private:
  explicit Registration(RegistrationOptions options);
  grpc::Status RegisterOnce();
  grpc::Status HeartbeatOnce();
  void Loop();
  void Stop();

  const RegistrationOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ReplicaRegistryService::Stub> stub_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool registered_ = false;
  bool abandoned_ = false;
  bool warned_ = false;  // an error is logged once until the next success
  std::chrono::milliseconds heartbeat_interval_;
  uint64_t reported_total_ = 0;
  std::thread thread_;
};

}  // namespace switchboard::xds
