// The whole system's configuration: where each service listens and its own settings block.
// Defaults live here and nowhere else; a YAML file and flags override them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/bus/bus_config.h"
#include "common/store/store_config.h"

namespace switchboard::common {

// Each service's default port starts a block of kPortBlock ports, so its replicas can take
// consecutive ports without meeting the next service.
inline constexpr int kPortBlock = 10;
inline constexpr int kMaxReplicas = kPortBlock;

struct ServiceEndpoint {
  std::string name;
  int port = 0;      // replica 1; replica i listens on port + i - 1
  int replicas = 1;  // processes `switchboard up` starts for this service
  YAML::Node settings;  // the service's block, without the keys handled here
};

// How services call each other (common::MakeInternalChannel): the policy grpc++ balances
// with across a peer's replicas.
inline constexpr char kRoundRobin[] = "round_robin";
inline constexpr char kPickFirst[] = "pick_first";

struct SystemConfig {
  std::string host = "127.0.0.1";
  std::string data_dir = "./var";
  std::string log_level = "info";
  int gateway_port = 8080;
  // Browser origins the gateway lets call it (its cors.allow_origins): "https://app.example"
  // or "*". Empty: no cross-origin calls.
  std::vector<std::string> cors_allow_origins;
  std::string client_lb = kRoundRobin;
  // host:port of `switchboard xds`; when set, replicas register there and services reach each
  // other through it (xds:///<service>) instead of static address lists.
  std::string xds;
  // What the streaming services' replicas share streams through (docs/shared-state.md):
  // `bus: {kind: nats, url: nats://127.0.0.1:4222}`; the default reaches one process only.
  bus::BusConfig bus;
  // Where the services with a database keep it (docs/shared-state.md): by default each its own
  // SQLite file; `store: postgres://user@host:port/db` (or {url: ..., pool_size: 8}) puts
  // every replica of each on one PostgreSQL database. A service's own `store` setting wins.
  store::StoreConfig store;
  // `switchboard up` starts PostgreSQL and nats-server itself for `store` and `bus` (as
  // --scale does). Only `up` reads it; the services get the resulting URLs.
  bool scale = false;
  std::map<std::string, ServiceEndpoint> services;  // every known service, by name

  // host:port of replica 1 (the only one unless replicas are configured).
  std::string AddressOf(const std::string& service) const;
  // host:port of every replica, in replica order.
  std::vector<std::string> ReplicaAddresses(const std::string& service) const;
  // A grpc++ target per service that reaches all of its replicas: "host:port" for one,
  // "ipv4:a:p1,a:p2,..." (a static address list) for several, "xds:///name" with `xds` set.
  std::map<std::string, std::string> Peers() const;
  // Overlapping replica port ranges, replicas on a host name that is not an IP address.
  absl::Status Validate() const;
};

// The services that keep rows in a store, and read `store` and `store_pool_size` settings.
const std::vector<std::string>& ServicesWithStore();
// Copies `config.store` into the settings block of each service in ServicesWithStore() that
// does not name a store of its own; LoadSystemConfig calls it, and so must code that sets
// `store` afterwards (a flag).
void ShareStoreWithServices(SystemConfig& config);

// "ticket=3,stock=2" (the --replicas flag) applied to `config`; errors name the bad part.
absl::Status ApplyReplicaCounts(const std::string& spec, SystemConfig& config);

// The services in start order (dependencies first) with their default ports.
const std::vector<std::pair<std::string, int>>& KnownServices();
bool IsKnownService(const std::string& name);

SystemConfig DefaultSystemConfig();
// Reads `path` over the defaults; every unknown key or bad value is an error naming it.
absl::StatusOr<SystemConfig> LoadSystemConfig(const std::string& path);
std::string SystemConfigToYaml(const SystemConfig& config);

// Reads a service's settings block, remembering which keys were used, so that Finish() can
// report the first bad value or unknown key ("stock.tick_interval: ...").
class Settings {
 public:
  Settings(YAML::Node node, std::string context) : node_(std::move(node)), context_(std::move(context)) {}

  int64_t Int(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  std::chrono::milliseconds Duration(const std::string& key, std::chrono::milliseconds fallback,
                                     std::chrono::milliseconds min,
                                     std::chrono::milliseconds max);
  std::string String(const std::string& key, const std::string& fallback);
  std::vector<std::string> StringList(const std::string& key,
                                      const std::vector<std::string>& fallback);
  absl::Status Finish();

 private:
  void Fail(const std::string& key, const std::string& message);
  YAML::Node node_;
  std::string context_;
  std::vector<std::string> used_;
  absl::Status first_error_;
};

}  // namespace switchboard::common
