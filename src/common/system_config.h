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

namespace switchboard::common {

struct ServiceEndpoint {
  std::string name;
  int port = 0;
  YAML::Node settings;  // the service's block, without the keys handled here
};

struct SystemConfig {
  std::string host = "127.0.0.1";
  std::string data_dir = "./var";
  std::string log_level = "info";
  int gateway_port = 8080;
  std::map<std::string, ServiceEndpoint> services;  // every known service, by name

  std::string AddressOf(const std::string& service) const;
  std::map<std::string, std::string> Peers() const;
};

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
