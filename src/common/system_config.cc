#include "common/system_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/duration.h"

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

}  // namespace

const std::vector<std::pair<std::string, int>>& KnownServices() {
  static const std::vector<std::pair<std::string, int>> kServices = {
      // Dependencies first: booking calls ticket, payment (which calls fraud), notification.
      {"ticket", 50051}, {"fraud", 50054}, {"payment", 50053}, {"user", 50055},
      {"notification", 50056}, {"booking", 50052}, {"stock", 50057}, {"upload", 50058},
      {"chat", 50059},
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

std::map<std::string, std::string> SystemConfig::Peers() const {
  std::map<std::string, std::string> peers;
  for (const auto& [name, endpoint] : services) peers[name] = AddressOf(name);
  return peers;
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
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  SystemConfig config = DefaultSystemConfig();
  if (root.IsNull()) return config;
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a YAML map"));
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "host" || key == "data_dir" || key == "log_level") {
      if (!value.IsScalar() || value.Scalar().empty()) {
        return KeyError(key, "expected a non-empty string");
      }
      if (key == "host") config.host = value.Scalar();
      if (key == "data_dir") config.data_dir = value.Scalar();
      if (key == "log_level") config.log_level = value.Scalar();
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
          } else {
            endpoint.settings[setting_key] = setting.second;
          }
        }
      }
    } else {
      return KeyError(key, "unknown key (known: host, data_dir, log_level, gateway_port, services)");
    }
  }
  return config;
}

std::string SystemConfigToYaml(const SystemConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "host" << YAML::Value << config.host;
  out << YAML::Key << "data_dir" << YAML::Value << config.data_dir;
  out << YAML::Key << "log_level" << YAML::Value << config.log_level;
  out << YAML::Key << "gateway_port" << YAML::Value << config.gateway_port;
  out << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, port] : KnownServices()) {
    const ServiceEndpoint& endpoint = config.services.at(name);
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "port" << YAML::Value << endpoint.port;
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
