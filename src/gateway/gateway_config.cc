#include "gateway/gateway_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"

namespace switchboard::gateway {
namespace {

const std::set<std::string> kLbPolicies = {"round_robin", "least_request", "weighted",
                                           "ring_hash"};

absl::Status KeyError(const std::string& key, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", message));
}

absl::Status CheckKeys(const YAML::Node& node, const std::string& where,
                       const std::set<std::string>& known) {
  if (!node.IsMap()) return KeyError(where, "expected a map");
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (known.count(key) == 0) {
      return KeyError(where.empty() ? key : absl::StrCat(where, ".", key),
                      absl::StrCat("unknown key (known: ", absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadDuration(const YAML::Node& node, const std::string& key,
                          std::chrono::milliseconds* out) {
  if (!node.IsScalar()) return KeyError(key, "expected a duration such as 5s");
  auto parsed = common::ParseDuration(node.Scalar());
  if (!parsed.ok()) return KeyError(key, std::string(parsed.status().message()));
  *out = *parsed;
  return absl::OkStatus();
}

absl::Status ReadInt(const YAML::Node& node, const std::string& key, int64_t min, int64_t max,
                     int64_t* out) {
  int64_t value = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &value)) {
    return KeyError(key, absl::StrCat("\"", node.IsScalar() ? node.Scalar() : "?",
                                      "\" is not an integer"));
  }
  if (value < min || value > max) {
    return KeyError(key, absl::StrCat(value, " is outside ", min, "..", max));
  }
  *out = value;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadStrings(const YAML::Node& node,
                                                     const std::string& key) {
  if (!node.IsSequence()) return KeyError(key, "expected a list");
  std::vector<std::string> values;
  for (const auto& item : node) {
    if (!item.IsScalar()) return KeyError(key, "expected a list of strings");
    values.push_back(item.Scalar());
  }
  return values;
}

absl::Status ReadService(const std::string& name, const YAML::Node& node, ServiceRoute* route) {
  const std::string where = absl::StrCat("services.", name);
  route->name = name;
  if (node.IsNull()) return KeyError(where, "needs backends");
  if (auto s = CheckKeys(node, where, {"backends", "lb", "timeout"}); !s.ok()) return s;
  if (!node["backends"]) return KeyError(absl::StrCat(where, ".backends"), "missing");
  auto backends = ReadStrings(node["backends"], absl::StrCat(where, ".backends"));
  if (!backends.ok()) return backends.status();
  if (backends->empty()) return KeyError(absl::StrCat(where, ".backends"), "is empty");
  for (const auto& text : *backends) {
    auto backend = ParseBackend(text);
    if (!backend.ok()) {
      return KeyError(absl::StrCat(where, ".backends"), std::string(backend.status().message()));
    }
    route->backends.push_back(*backend);
  }
  if (node["lb"]) {
    if (!node["lb"].IsScalar() || kLbPolicies.count(node["lb"].Scalar()) == 0) {
      return KeyError(absl::StrCat(where, ".lb"),
                      absl::StrCat("unknown policy (known: ", absl::StrJoin(kLbPolicies, ", "), ")"));
    }
    route->lb = node["lb"].Scalar();
  }
  if (node["timeout"]) {
    const std::string key = absl::StrCat(where, ".timeout");
    if (auto s = CheckKeys(node["timeout"], key, {"default", "max"}); !s.ok()) return s;
    if (node["timeout"]["default"]) {
      if (auto s = ReadDuration(node["timeout"]["default"], key + ".default",
                                &route->timeouts.default_timeout);
          !s.ok()) {
        return s;
      }
    }
    if (node["timeout"]["max"]) {
      if (auto s = ReadDuration(node["timeout"]["max"], key + ".max", &route->timeouts.max_timeout);
          !s.ok()) {
        return s;
      }
    }
    if (route->timeouts.default_timeout > route->timeouts.max_timeout) {
      return KeyError(key, "default is longer than max");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Backend> ParseBackend(const std::string& text) {
  const auto colon = text.rfind(':');
  int64_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not host:port"));
  }
  return Backend{text.substr(0, colon), static_cast<uint16_t>(port)};
}

absl::StatusOr<GatewayConfig> ParseGatewayConfig(const std::string& yaml,
                                                 const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
  auto fail = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(source, ": ", s.message()));
  };
  GatewayConfig config;
  if (auto s = CheckKeys(root, "", {"listen", "descriptors", "services", "cors", "limits"});
      !s.ok()) {
    return fail(s);
  }
  if (root["listen"]) {
    auto listen = root["listen"].IsScalar() ? ParseBackend(root["listen"].Scalar())
                                            : absl::StatusOr<Backend>(absl::InvalidArgumentError(
                                                  "expected host:port"));
    if (!listen.ok()) return fail(KeyError("listen", std::string(listen.status().message())));
    config.listen_host = listen->host;
    config.listen_port = listen->port;
  }
  if (!root["descriptors"]) return fail(KeyError("descriptors", "missing (a list of files)"));
  auto descriptors = ReadStrings(root["descriptors"], "descriptors");
  if (!descriptors.ok()) return fail(descriptors.status());
  if (descriptors->empty()) return fail(KeyError("descriptors", "is empty"));
  config.descriptors = *descriptors;
  if (!root["services"] || !root["services"].IsMap() || root["services"].size() == 0) {
    return fail(KeyError("services", "missing (a map of gRPC service name to backends)"));
  }
  for (const auto& entry : root["services"]) {
    const std::string name = entry.first.as<std::string>();
    ServiceRoute route;
    if (auto s = ReadService(name, entry.second, &route); !s.ok()) return fail(s);
    config.services[name] = route;
  }
  if (root["cors"]) {
    if (auto s = CheckKeys(root["cors"], "cors", {"allow_origins"}); !s.ok()) return fail(s);
    if (root["cors"]["allow_origins"]) {
      auto origins = ReadStrings(root["cors"]["allow_origins"], "cors.allow_origins");
      if (!origins.ok()) return fail(origins.status());
      config.cors_allow_origins = *origins;
    }
  }
  if (root["limits"]) {
    const YAML::Node& limits = root["limits"];
    if (auto s = CheckKeys(limits, "limits",
                           {"max_header_bytes", "max_message_bytes", "max_streams_per_connection",
                            "idle_timeout", "connection_window_bytes", "slow_client_timeout",
                            "max_body_bytes"});
        !s.ok()) {
      return fail(s);
    }
    struct IntLimit {
      const char* key;
      int64_t min;
      int64_t max;
      int64_t* out;
    } ints[] = {
        {"max_header_bytes", 1024, 16 * 1024 * 1024, &config.limits.max_header_bytes},
        {"max_message_bytes", 1024, int64_t{1} << 31, &config.limits.max_message_bytes},
        {"max_streams_per_connection", 1, 1 << 20, &config.limits.max_streams_per_connection},
        {"connection_window_bytes", 65535, (int64_t{1} << 31) - 1,
         &config.limits.connection_window_bytes},
        {"max_body_bytes", 0, int64_t{1} << 50, &config.limits.max_body_bytes},
    };
    for (const auto& limit : ints) {
      if (!limits[limit.key]) continue;
      if (auto s = ReadInt(limits[limit.key], absl::StrCat("limits.", limit.key), limit.min,
                           limit.max, limit.out);
          !s.ok()) {
        return fail(s);
      }
    }
    if (limits["idle_timeout"]) {
      if (auto s = ReadDuration(limits["idle_timeout"], "limits.idle_timeout",
                                &config.limits.idle_timeout);
          !s.ok()) {
        return fail(s);
      }
    }
    if (limits["slow_client_timeout"]) {
      if (auto s = ReadDuration(limits["slow_client_timeout"], "limits.slow_client_timeout",
                                &config.limits.slow_client_timeout);
          !s.ok()) {
        return fail(s);
      }
    }
  }
  return config;
}

absl::StatusOr<GatewayConfig> LoadGatewayConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseGatewayConfig(text.str(), path);
}

std::string GatewayDefaultsYaml() {
  const GatewayConfig d;
  const ServiceRoute r;
  return absl::StrCat(
      "listen: ", d.listen_host, ":", d.listen_port,
      "            # one port: HTTP/1.1 and h2c\n"
      "descriptors: []                   # required: protoc --include_imports --descriptor_set_out\n"
      "services: {}                      # required: <full service name>: {backends: [host:port]}\n"
      "# per service: lb: ", r.lb, "   timeout: {default: ",
      common::FormatDuration(r.timeouts.default_timeout),
      ", max: ", common::FormatDuration(r.timeouts.max_timeout), "}\n",
      "cors:\n  allow_origins: []\n",
      "limits:\n",
      "  max_header_bytes: ", d.limits.max_header_bytes, "\n",
      "  max_message_bytes: ", d.limits.max_message_bytes, "\n",
      "  max_streams_per_connection: ", d.limits.max_streams_per_connection, "\n",
      "  idle_timeout: ", common::FormatDuration(d.limits.idle_timeout), "\n",
      "  connection_window_bytes: ", d.limits.connection_window_bytes, "\n",
      "  slow_client_timeout: ", common::FormatDuration(d.limits.slow_client_timeout),
      "     # 0s: off\n",
      "  max_body_bytes: ", d.limits.max_body_bytes,
      "                 # streamed request bodies; 0: no limit\n");
}

}  // namespace switchboard::gateway
