#include "common/system_config.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/duration.h"
#include "common/yaml_strict.h"

namespace switchboard::common {
namespace {

constexpr int kMinPort = 0;
constexpr int kMaxPort = 65535;

absl::Status KeyError(const std::string& key, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", message));
}

absl::StatusOr<int> ReadPort(const YAML::Node& node, const std::string& key) {
  int port = 0;
  if (!node.IsScalar() || !YAML::convert<int>::decode(node, port) || port < kMinPort ||
      port > kMaxPort) {
    return KeyError(key, absl::StrCat("\"", node.IsScalar() ? node.Scalar() : "<not a scalar>",
                                      "\" is not a port number (0-65535)"));
  }
  return port;
}

// The bus block: {kind: inprocess | nats, url: nats://host:port}, every key optional.
absl::Status ReadBus(const YAML::Node& node, bus::BusConfig& config) {
  if (!node.IsMap()) {
    return KeyError("bus", "expected a map, e.g. {kind: nats, url: nats://127.0.0.1:4222}");
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "kind") {
      if (!value.IsScalar() ||
          (value.Scalar() != bus::kInProcess && value.Scalar() != bus::kNats)) {
        return KeyError("bus.kind", absl::StrCat("\"", value.IsScalar() ? value.Scalar() : "?",
                                                 "\" is not inprocess or nats"));
      }
      config.kind = value.Scalar();
    } else if (key == "url") {
      if (!value.IsScalar()) return KeyError("bus.url", "expected nats://host:port");
      if (auto bad = bus::ValidateNatsUrl(value.Scalar()); !bad.ok()) {
        return KeyError("bus.url", std::string(bad.message()));
      }
      config.url = value.Scalar();
    } else {
      return KeyError(absl::StrCat("bus.", key), "unknown key (known: kind, url)");
    }
  }
  return absl::OkStatus();
}

// The store: a postgres:// URL, or {url: postgres://..., pool_size: N}.
absl::Status ReadStore(const YAML::Node& node, store::StoreConfig& config) {
  const auto read_url = [&](const YAML::Node& value, const std::string& key) -> absl::Status {
    if (!value.IsScalar()) return KeyError(key, "expected a postgres://user@host:port/db URL");
    if (auto bad = store::ValidatePostgresUrl(value.Scalar()); !bad.ok()) {
      return KeyError(key, std::string(bad.message()));
    }
    config.url = value.Scalar();
    return absl::OkStatus();
  };
  if (node.IsScalar()) return read_url(node, "store");
  if (!node.IsMap()) {
    return KeyError("store", "expected a postgres:// URL or {url: postgres://..., pool_size: N}");
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (key == "url") {
      if (auto bad = read_url(entry.second, "store.url"); !bad.ok()) return bad;
    } else if (key == "pool_size") {
      int size = 0;
      if (!entry.second.IsScalar() || !YAML::convert<int>::decode(entry.second, size) || size < 1 ||
          size > store::kMaxPoolSize) {
        return KeyError("store.pool_size",
                        absl::StrCat("\"", entry.second.IsScalar() ? entry.second.Scalar() : "?",
                                     "\" is not a count 1..", store::kMaxPoolSize));
      }
      config.pool_size = size;
    } else {
      return KeyError(absl::StrCat("store.", key), "unknown key (known: url, pool_size)");
    }
  }
  if (config.url.empty()) return KeyError("store.url", "missing: the map needs a url");
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& ServicesWithStore() {
  static const std::vector<std::string> kServices = {"ticket", "booking"};
  return kServices;
}

void ShareStoreWithServices(SystemConfig& config) {
  if (!config.store.postgres()) return;
  for (const auto& name : ServicesWithStore()) {
    auto it = config.services.find(name);
    if (it == config.services.end()) continue;
    YAML::Node& settings = it->second.settings;
    if (!settings.IsMap()) settings = YAML::Node(YAML::NodeType::Map);
    if (settings["store"]) continue;
    settings["store"] = config.store.url;
    if (!settings["store_pool_size"]) settings["store_pool_size"] = config.store.pool_size;
  }
}

const std::vector<std::pair<std::string, int>>& KnownServices() {
  static const std::vector<std::pair<std::string, int>> kServices = {
      // Dependencies first: booking calls ticket, payment (which calls fraud), notification.
      {"ticket", 50051}, {"fraud", 50081}, {"payment", 50071}, {"user", 50091},
      {"notification", 50101}, {"booking", 50061}, {"stock", 50111}, {"upload", 50121},
      {"chat", 50131},
  };
  return kServices;
}

bool IsKnownService(const std::string& name) {
  const auto& all = KnownServices();
  return std::any_of(all.begin(), all.end(), [&](const auto& s) { return s.first == name; });
}

std::string SystemConfig::AddressOf(const std::string& service) const {
  auto it = services.find(service);
  return it == services.end() ? std::string() : absl::StrCat(host, ":", it->second.port);
}

std::vector<std::string> SystemConfig::ReplicaAddresses(const std::string& service) const {
  std::vector<std::string> addresses;
  auto it = services.find(service);
  if (it == services.end()) return addresses;
  for (int i = 0; i < it->second.replicas; ++i) {
    addresses.push_back(absl::StrCat(host, ":", it->second.port + i));
  }
  return addresses;
}

std::map<std::string, std::string> SystemConfig::Peers() const {
  std::map<std::string, std::string> peers;
  for (const auto& [name, endpoint] : services) {
    if (!xds.empty()) {
      peers[name] = absl::StrCat("xds:///", name);
      continue;
    }
    if (endpoint.replicas <= 1) {
      peers[name] = AddressOf(name);
      continue;
    }
    const bool v6 = host.find(':') != std::string::npos;
    std::string target = v6 ? "ipv6:" : "ipv4:";
    for (int i = 0; i < endpoint.replicas; ++i) {
      if (i > 0) target += ",";
      target += v6 ? absl::StrCat("[", host, "]:", endpoint.port + i)
                   : absl::StrCat(host, ":", endpoint.port + i);
    }
    peers[name] = target;
  }
  return peers;
}

absl::Status SystemConfig::Validate() const {
  in_addr v4{};
  in6_addr v6{};
  const bool ip_host = inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
                       inet_pton(AF_INET6, host.c_str(), &v6) == 1;
  for (const auto& [name, endpoint] : services) {
    if (endpoint.replicas < 1 || endpoint.replicas > kMaxReplicas) {
      return KeyError(absl::StrCat("services.", name, ".replicas"),
                      absl::StrCat(endpoint.replicas, " is outside 1..", kMaxReplicas));
    }
    if (endpoint.replicas > 1 && endpoint.port == 0) {
      return KeyError(absl::StrCat("services.", name, ".port"),
                      "0 (any free port) cannot be used with replicas");
    }
    if (endpoint.replicas > 1 && !ip_host) {
      return KeyError("host", absl::StrCat("\"", host, "\" is not an IP address; replicas of ",
                                           name, " need one (their channel lists addresses)"));
    }
    if (endpoint.port + endpoint.replicas - 1 > kMaxPort) {
      return KeyError(absl::StrCat("services.", name, ".replicas"),
                      absl::StrCat("ports ", endpoint.port, "+", endpoint.replicas,
                                   " go past 65535"));
    }
    for (const auto& [other_name, other] : services) {
      if (other_name == name || endpoint.port == 0 || other.port == 0) continue;
      const int first = endpoint.port;
      const int last = endpoint.port + endpoint.replicas - 1;
      if (other.port >= first && other.port <= last) {
        return KeyError(absl::StrCat("services.", name),
                        absl::StrCat(endpoint.replicas, " replicas from port ", first,
                                     " reach port ", other.port, " of ", other_name,
                                     " (move one of them with services.<name>.port)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyReplicaCounts(const std::string& spec, SystemConfig& config) {
  std::map<std::string, std::string> given;  // service -> the part that named it
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    const std::vector<std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    int count = 0;
    if (kv.size() != 2 || !absl::SimpleAtoi(kv[1], &count)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--replicas: \"", std::string(part), "\" is not service=count (e.g. ticket=3)"));
    }
    auto it = config.services.find(kv[0]);
    if (it == config.services.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--replicas: unknown service \"", kv[0], "\""));
    }
    if (auto [first, inserted] = given.emplace(kv[0], std::string(part)); !inserted) {
      return absl::InvalidArgumentError(absl::StrCat("--replicas: ", kv[0], " is given twice (",
                                                     first->second, " and ", std::string(part),
                                                     ")"));
    }
    if (count < 1 || count > kMaxReplicas) {
      return absl::InvalidArgumentError(absl::StrCat("--replicas: ", kv[0], "=", count,
                                                     " is outside 1..", kMaxReplicas));
    }
    it->second.replicas = count;
  }
  return config.Validate();
}

SystemConfig DefaultSystemConfig() {
  SystemConfig config;
  for (const auto& [name, port] : KnownServices()) {
    ServiceEndpoint endpoint;
    endpoint.name = name;
    endpoint.port = port;
    endpoint.settings = YAML::Node(YAML::NodeType::Map);
    config.services[name] = endpoint;
  }
  return config;
}

absl::StatusOr<SystemConfig> LoadSystemConfig(const std::string& path) {
  auto loaded = LoadYamlFileStrict(path);
  if (!loaded.ok()) return loaded.status();
  const YAML::Node& root = *loaded;
  SystemConfig config = DefaultSystemConfig();
  if (root.IsNull()) return config;
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a YAML map"));
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "xds") {
      if (!value.IsScalar() || value.Scalar().rfind(':') == std::string::npos) {
        return KeyError(key, "expected the control plane's host:port, e.g. 127.0.0.1:18000");
      }
      config.xds = value.Scalar();
    } else if (key == "bus") {
      if (auto bad = ReadBus(value, config.bus); !bad.ok()) return bad;
    } else if (key == "store") {
      if (auto bad = ReadStore(value, config.store); !bad.ok()) return bad;
    } else if (key == "scale") {
      if (!value.IsScalar() || (value.Scalar() != "true" && value.Scalar() != "false")) {
        return KeyError(key, "expected true or false");
      }
      config.scale = value.Scalar() == "true";
    } else if (key == "host" || key == "data_dir" || key == "log_level") {
      if (!value.IsScalar() || value.Scalar().empty()) {
        return KeyError(key, "expected a non-empty string");
      }
      if (key == "host") config.host = value.Scalar();
      if (key == "data_dir") config.data_dir = value.Scalar();
      if (key == "log_level") config.log_level = value.Scalar();
    } else if (key == "client_lb") {
      if (!value.IsScalar() || (value.Scalar() != kRoundRobin && value.Scalar() != kPickFirst)) {
        return KeyError(key, absl::StrCat("\"", value.IsScalar() ? value.Scalar() : "?",
                                          "\" is not round_robin or pick_first"));
      }
      config.client_lb = value.Scalar();
    } else if (key == "cors_allow_origins") {
      if (!value.IsSequence()) {
        return KeyError(key, "expected a list of origins, e.g. [\"https://app.example.com\"]");
      }
      for (const auto& origin : value) {
        if (!origin.IsScalar() || origin.Scalar().empty()) {
          return KeyError(key, "expected each origin as a non-empty string");
        }
        config.cors_allow_origins.push_back(origin.Scalar());
      }
    } else if (key == "gateway_port") {
      auto port = ReadPort(value, key);
      if (!port.ok()) return port.status();
      config.gateway_port = *port;
    } else if (key == "services") {
      if (!value.IsMap()) return KeyError(key, "expected a map of service name to settings");
      for (const auto& service : value) {
        const std::string name = service.first.as<std::string>();
        if (!IsKnownService(name)) {
          return KeyError(absl::StrCat("services.", name), "unknown service");
        }
        ServiceEndpoint& endpoint = config.services[name];
        if (service.second.IsNull()) continue;
        if (!service.second.IsMap()) {
          return KeyError(absl::StrCat("services.", name), "expected a map of settings");
        }
        for (const auto& setting : service.second) {
          const std::string setting_key = setting.first.as<std::string>();
          if (setting_key == "port") {
            auto port = ReadPort(setting.second, absl::StrCat("services.", name, ".port"));
            if (!port.ok()) return port.status();
            endpoint.port = *port;
          } else if (setting_key == "replicas") {
            int replicas = 0;
            if (!setting.second.IsScalar() ||
                !YAML::convert<int>::decode(setting.second, replicas)) {
              return KeyError(absl::StrCat("services.", name, ".replicas"), "expected a count");
            }
            endpoint.replicas = replicas;
          } else {
            endpoint.settings[setting_key] = setting.second;
          }
        }
      }
    } else {
      return KeyError(
          key,
          "unknown key (known: host, data_dir, log_level, gateway_port, cors_allow_origins, "
          "client_lb, xds, bus, store, scale, services)");
    }
  }
  ShareStoreWithServices(config);
  if (auto valid = config.Validate(); !valid.ok()) return valid;
  return config;
}

std::string SystemConfigToYaml(const SystemConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "host" << YAML::Value << config.host;
  out << YAML::Key << "data_dir" << YAML::Value << config.data_dir;
  out << YAML::Key << "log_level" << YAML::Value << config.log_level;
  out << YAML::Key << "gateway_port" << YAML::Value << config.gateway_port;
  if (!config.cors_allow_origins.empty()) {
    out << YAML::Key << "cors_allow_origins" << YAML::Value << YAML::Flow
        << config.cors_allow_origins;
  }
  out << YAML::Key << "client_lb" << YAML::Value << config.client_lb;
  if (!config.xds.empty()) out << YAML::Key << "xds" << YAML::Value << config.xds;
  if (config.bus.shared()) {
    out << YAML::Key << "bus" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
        << "kind" << YAML::Value << config.bus.kind << YAML::Key << "url" << YAML::Value
        << config.bus.url << YAML::EndMap;
  }
  if (config.store.postgres()) {
    out << YAML::Key << "store" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "url"
        << YAML::Value << config.store.url << YAML::Key << "pool_size" << YAML::Value
        << config.store.pool_size << YAML::EndMap;
  }
  out << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, port] : KnownServices()) {
    const ServiceEndpoint& endpoint = config.services.at(name);
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "port" << YAML::Value << endpoint.port;
    out << YAML::Key << "replicas" << YAML::Value << endpoint.replicas;
    if (endpoint.settings.IsMap()) {
      for (const auto& setting : endpoint.settings) {
        out << YAML::Key << setting.first << YAML::Value << setting.second;
      }
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return out.c_str();
}

void Settings::Fail(const std::string& key, const std::string& message) {
  if (first_error_.ok()) first_error_ = KeyError(absl::StrCat(context_, ".", key), message);
}

int64_t Settings::Int(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  used_.push_back(key);
  if (!node_.IsMap() || !node_[key]) return fallback;
  int64_t value = 0;
  const YAML::Node item = node_[key];
  if (!item.IsScalar() || !YAML::convert<int64_t>::decode(item, value)) {
    Fail(key, absl::StrCat("\"", item.IsScalar() ? item.Scalar() : "?", "\" is not an integer"));
    return fallback;
  }
  if (value < min || value > max) {
    Fail(key, absl::StrCat(value, " is outside ", min, "..", max));
    return fallback;
  }
  return value;
}

std::chrono::milliseconds Settings::Duration(const std::string& key,
                                             std::chrono::milliseconds fallback,
                                             std::chrono::milliseconds min,
                                             std::chrono::milliseconds max) {
  used_.push_back(key);
  if (!node_.IsMap() || !node_[key]) return fallback;
  const YAML::Node item = node_[key];
  if (!item.IsScalar()) {
    Fail(key, "expected a duration such as 250ms or 5s");
    return fallback;
  }
  auto parsed = ParseDuration(item.Scalar());
  if (!parsed.ok()) {
    Fail(key, std::string(parsed.status().message()));
    return fallback;
  }
  if (*parsed < min || *parsed > max) {
    Fail(key, absl::StrCat(item.Scalar(), " is outside ", FormatDuration(min), "..",
                           FormatDuration(max)));
    return fallback;
  }
  return *parsed;
}

std::string Settings::String(const std::string& key, const std::string& fallback) {
  used_.push_back(key);
  if (!node_.IsMap() || !node_[key]) return fallback;
  const YAML::Node item = node_[key];
  if (!item.IsScalar()) {
    Fail(key, "expected a string");
    return fallback;
  }
  return item.Scalar();
}

std::vector<std::string> Settings::StringList(const std::string& key,
                                              const std::vector<std::string>& fallback) {
  used_.push_back(key);
  if (!node_.IsMap() || !node_[key]) return fallback;
  const YAML::Node item = node_[key];
  if (!item.IsSequence()) {
    Fail(key, "expected a list of strings");
    return fallback;
  }
  std::vector<std::string> values;
  for (const auto& element : item) {
    if (!element.IsScalar()) {
      Fail(key, "expected a list of strings");
      return fallback;
    }
    values.push_back(element.Scalar());
  }
  return values;
}

absl::Status Settings::Finish() {
  if (!first_error_.ok()) return first_error_;
  if (node_.IsMap()) {
    for (const auto& entry : node_) {
      const std::string key = entry.first.as<std::string>();
      if (std::find(used_.begin(), used_.end(), key) == used_.end()) {
        std::string known;
        for (const auto& k : used_) absl::StrAppend(&known, known.empty() ? "" : ", ", k);
        return KeyError(absl::StrCat(context_, ".", key),
                        absl::StrCat("unknown setting (known: port", known.empty() ? "" : ", ",
                                     known, ")"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace switchboard::common
