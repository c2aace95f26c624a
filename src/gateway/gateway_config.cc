#include "gateway/gateway_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"
#include "common/yaml_strict.h"
#include "gateway/auth/access_config.h"

namespace switchboard::gateway {
namespace {

// Upper bound for counts in a row (health thresholds, outlier failures): beyond it a setting
// is a typo, not a policy.
constexpr int64_t kMaxThreshold = 1000;

const std::set<std::string> kLbPolicies = {"round_robin", "least_request", "weighted",
                                           "ring_hash", "peak_ewma"};

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

absl::StatusOr<Backend> ReadBackend(const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) {
    auto backend = ParseBackend(node.Scalar());
    if (!backend.ok()) return KeyError(key, std::string(backend.status().message()));
    return backend;
  }
  if (auto s = CheckKeys(node, key, {"address", "weight"}); !s.ok()) return s;
  if (!node["address"] || !node["address"].IsScalar()) {
    return KeyError(key + ".address", "missing (host:port)");
  }
  auto backend = ParseBackend(node["address"].Scalar());
  if (!backend.ok()) return KeyError(key + ".address", std::string(backend.status().message()));
  if (node["weight"]) {
    int64_t weight = 0;
    if (auto s = ReadInt(node["weight"], key + ".weight", 1, Backend::kMaxWeight, &weight);
        !s.ok()) {
      return s;
    }
    backend->weight = static_cast<int>(weight);
  }
  return backend;
}

absl::Status ReadPositiveDuration(const YAML::Node& node, const std::string& key,
                                  std::chrono::milliseconds* out) {
  if (auto s = ReadDuration(node, key, out); !s.ok()) return s;
  if (out->count() <= 0) return KeyError(key, absl::StrCat("\"", node.Scalar(), "\" must be > 0"));
  return absl::OkStatus();
}

absl::Status ReadHealthCheck(const YAML::Node& node, const std::string& key,
                             lb::HealthOptions* out) {
  if (auto s = CheckKeys(node, key,
                         {"enabled", "interval", "timeout", "unhealthy_threshold",
                          "healthy_threshold"});
      !s.ok()) {
    return s;
  }
  if (node["enabled"]) {
    const std::string value = node["enabled"].IsScalar() ? node["enabled"].Scalar() : "";
    if (value != "true" && value != "false") {
      return KeyError(key + ".enabled", absl::StrCat("\"", value, "\" is not true or false"));
    }
    out->enabled = value == "true";
  }
  if (node["interval"]) {
    if (auto s = ReadPositiveDuration(node["interval"], key + ".interval", &out->interval);
        !s.ok()) {
      return s;
    }
  }
  if (node["timeout"]) {
    if (auto s = ReadPositiveDuration(node["timeout"], key + ".timeout", &out->timeout); !s.ok()) {
      return s;
    }
  }
  for (auto [name, field] : {std::pair<const char*, int*>{"unhealthy_threshold",
                                                          &out->unhealthy_threshold},
                             {"healthy_threshold", &out->healthy_threshold}}) {
    if (!node[name]) continue;
    int64_t value = 0;
    if (auto s = ReadInt(node[name], absl::StrCat(key, ".", name), 1, kMaxThreshold, &value);
        !s.ok()) {
      return s;
    }
    *field = static_cast<int>(value);
  }
  return absl::OkStatus();
}

absl::Status ReadOutlier(const YAML::Node& node, const std::string& key, lb::OutlierOptions* out) {
  if (auto s = CheckKeys(node, key, {"consecutive_failures", "base_ejection", "max_ejection"});
      !s.ok()) {
    return s;
  }
  if (node["consecutive_failures"]) {
    int64_t value = 0;
    if (auto s = ReadInt(node["consecutive_failures"], key + ".consecutive_failures", 0,
                         kMaxThreshold, &value);
        !s.ok()) {
      return s;
    }
    out->consecutive_failures = static_cast<int>(value);
  }
  if (node["base_ejection"]) {
    if (auto s = ReadPositiveDuration(node["base_ejection"], key + ".base_ejection",
                                      &out->base_ejection);
        !s.ok()) {
      return s;
    }
  }
  if (node["max_ejection"]) {
    if (auto s = ReadPositiveDuration(node["max_ejection"], key + ".max_ejection",
                                      &out->max_ejection);
        !s.ok()) {
      return s;
    }
  }
  if (out->base_ejection > out->max_ejection) {
    return KeyError(key, "base_ejection is longer than max_ejection");
  }
  return absl::OkStatus();
}

absl::Status ReadService(const std::string& name, const YAML::Node& node, ServiceRoute* route) {
  const std::string where = absl::StrCat("services.", name);
  route->name = name;
  if (node.IsNull()) return KeyError(where, "needs backends");
  if (auto s = CheckKeys(node, where,
                         {"backends", "lb", "timeout", "hash_header", "health_check", "outlier",
                          "retries", "auth", "rate_limit", "methods", "tls"});
      !s.ok()) {
    return s;
  }
  if (!node["backends"]) return KeyError(absl::StrCat(where, ".backends"), "missing");
  if (!node["backends"].IsSequence()) {
    return KeyError(absl::StrCat(where, ".backends"), "expected a list");
  }
  if (node["backends"].size() == 0) return KeyError(absl::StrCat(where, ".backends"), "is empty");
  std::set<std::string> seen;
  for (size_t i = 0; i < node["backends"].size(); ++i) {
    auto backend = ReadBackend(node["backends"][i], absl::StrCat(where, ".backends[", i, "]"));
    if (!backend.ok()) return backend.status();
    if (!seen.insert(backend->ToString()).second) {
      return KeyError(absl::StrCat(where, ".backends"),
                      absl::StrCat(backend->ToString(), " is listed twice"));
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
  if (node["hash_header"]) {
    const std::string key = absl::StrCat(where, ".hash_header");
    if (!node["hash_header"].IsScalar() || node["hash_header"].Scalar().empty()) {
      return KeyError(key, "expected a header name such as x-room");
    }
    route->hash_header = absl::AsciiStrToLower(node["hash_header"].Scalar());
    if (route->hash_header[0] == ':') {
      return KeyError(key, absl::StrCat("\"", route->hash_header, "\" is a pseudo-header"));
    }
  }
  if (auto s = auth::ReadRouteAuth(node, where, &route->auth); !s.ok()) return s;
  if (auto s = limits::ReadRouteRateLimit(node, where, &route->rate_limit); !s.ok()) return s;
  if (route->lb == "ring_hash" && route->hash_header.empty()) {
    return KeyError(absl::StrCat(where, ".hash_header"), "required with lb: ring_hash");
  }
  if (node["health_check"]) {
    if (auto s = ReadHealthCheck(node["health_check"], absl::StrCat(where, ".health_check"),
                                 &route->health_check);
        !s.ok()) {
      return s;
    }
  }
  if (node["outlier"]) {
    if (auto s = ReadOutlier(node["outlier"], absl::StrCat(where, ".outlier"), &route->outlier);
        !s.ok()) {
      return s;
    }
  }
  if (node["retries"]) {
    const std::string key = absl::StrCat(where, ".retries");
    if (auto s = CheckKeys(node["retries"], key, {"attempts"}); !s.ok()) return s;
    if (node["retries"]["attempts"]) {
      int64_t attempts = 0;
      if (auto s = ReadInt(node["retries"]["attempts"], key + ".attempts", 1,
                           RetryPolicy::kMaxAttempts, &attempts);
          !s.ok()) {
        return s;
      }
      route->retries.attempts = static_cast<int>(attempts);
    }
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
  if (node["tls"]) {
    const std::string key = absl::StrCat(where, ".tls");
    if (auto s = CheckKeys(node["tls"], key, {"ca_file", "cert_file", "key_file", "server_name"});
        !s.ok()) {
      return s;
    }
    UpstreamTlsConfig& tls = route->tls;
    tls.enabled = true;
    for (const auto& [name, field] :
         {std::pair{"ca_file", &tls.ca_file}, std::pair{"cert_file", &tls.cert_file},
          std::pair{"key_file", &tls.key_file}, std::pair{"server_name", &tls.server_name}}) {
      const YAML::Node value = node["tls"][name];
      if (!value) continue;
      if (!value.IsScalar() || value.Scalar().empty()) {
        return KeyError(absl::StrCat(key, ".", name), "expected a non-empty string");
      }
      *field = value.Scalar();
    }
    if (tls.cert_file.empty() != tls.key_file.empty()) {
      return KeyError(key, "cert_file and key_file go together (a client certificate for mTLS)");
    }
  }
  return absl::OkStatus();
}

absl::Status ReadTlsListener(const YAML::Node& node, TlsListenerConfig* out) {
  if (auto s = CheckKeys(node, "tls",
                         {"listen", "cert_file", "key_file", "client_ca_file", "handshake_timeout"});
      !s.ok()) {
    return s;
  }
  if (node["listen"]) {
    auto listen = node["listen"].IsScalar() ? ParseBackend(node["listen"].Scalar())
                                            : absl::StatusOr<Backend>(absl::InvalidArgumentError(
                                                  "expected host:port"));
    if (!listen.ok()) return KeyError("tls.listen", std::string(listen.status().message()));
    out->listen_host = listen->host;
    out->listen_port = listen->port;
  }
  for (const auto& [key, field] : {std::pair{"cert_file", &out->cert_file},
                                   std::pair{"key_file", &out->key_file},
                                   std::pair{"client_ca_file", &out->client_ca_file}}) {
    if (!node[key]) continue;
    if (!node[key].IsScalar() || node[key].Scalar().empty()) {
      return KeyError(absl::StrCat("tls.", key), "expected a file path");
    }
    *field = node[key].Scalar();
  }
  if (out->cert_file.empty()) return KeyError("tls.cert_file", "missing (a PEM certificate chain)");
  if (out->key_file.empty()) return KeyError("tls.key_file", "missing (a PEM private key)");
  if (node["handshake_timeout"]) {
    if (auto s = ReadDuration(node["handshake_timeout"], "tls.handshake_timeout",
                              &out->handshake_timeout);
        !s.ok()) {
      return s;
    }
    if (out->handshake_timeout.count() <= 0) {
      return KeyError("tls.handshake_timeout", "must be more than 0s");
    }
  }
  return absl::OkStatus();
}

}  // namespace

int DefaultWorkerCount() {
  // 0 when the standard library cannot tell: one loop then, today's gateway.
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores, GatewayConfig::kMinWorkers, GatewayConfig::kMaxWorkers);
}

absl::StatusOr<Backend> ParseBackend(const std::string& text) {
  const auto colon = text.rfind(':');
  int64_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not host:port"));
  }
  return Backend{text.substr(0, colon), static_cast<uint16_t>(port)};
}

// The whole body is a try block: yaml-cpp throws where a check missed a shape (a list as a map
// key), and a config file, read again on SIGHUP too, must be refused, never end the gateway.
absl::StatusOr<GatewayConfig> ParseGatewayConfig(const std::string& yaml,
                                                 const std::string& source) try {
  YAML::Node root;
  try {
    root = common::LoadYamlStrict(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
  auto fail = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(source, ": ", s.message()));
  };
  GatewayConfig config;
  if (auto s = CheckKeys(root, "",
                         {"listen", "tls", "workers", "descriptors", "services", "cors", "limits",
                          "static", "auth"});
      !s.ok()) {
    return fail(s);
  }
  if (root["listen"] && root["listen"].IsScalar() && root["listen"].Scalar().empty()) {
    config.plaintext = false;
  } else if (root["listen"]) {
    auto listen = root["listen"].IsScalar() ? ParseBackend(root["listen"].Scalar())
                                            : absl::StatusOr<Backend>(absl::InvalidArgumentError(
                                                  "expected host:port"));
    if (!listen.ok()) return fail(KeyError("listen", std::string(listen.status().message())));
    config.listen_host = listen->host;
    config.listen_port = listen->port;
  }
  if (root["tls"]) {
    if (auto s = ReadTlsListener(root["tls"], &config.tls); !s.ok()) return fail(s);
  }
  if (!config.plaintext && !config.tls.enabled()) {
    return fail(KeyError("listen", "is empty (no plaintext listener) and there is no tls: block"));
  }
  if (root["workers"]) {
    int64_t workers = 0;
    if (auto s = ReadInt(root["workers"], "workers", GatewayConfig::kMinWorkers,
                         GatewayConfig::kMaxWorkers, &workers);
        !s.ok()) {
      return fail(s);
    }
    config.workers = static_cast<int>(workers);
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
  if (root["static"]) {
    if (auto s = static_files::ParseStaticConfig(root["static"], &config.static_files); !s.ok()) {
      return fail(s);
    }
  }
  if (root["limits"]) {
    const YAML::Node& limits = root["limits"];
    if (auto s = CheckKeys(limits, "limits",
                           {"max_header_bytes", "max_message_bytes", "max_streams_per_connection",
                            "idle_timeout", "connection_window_bytes", "slow_client_timeout",
                            "max_body_bytes", "shutdown_grace", "max_connections",
                            "max_connections_per_client"});
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
        {"max_connections", 1, 1 << 24, &config.limits.max_connections},
        {"max_connections_per_client", 1, 1 << 24, &config.limits.max_connections_per_client},
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
    if (limits["shutdown_grace"]) {
      if (auto s = ReadDuration(limits["shutdown_grace"], "limits.shutdown_grace",
                                &config.limits.shutdown_grace);
          !s.ok()) {
        return fail(s);
      }
    }
  }
  if (auto s = auth::ReadAuthConfig(root["auth"], &config.auth); !s.ok()) return fail(s);
  if (auto s = auth::SetUpAccessControl(&config); !s.ok()) return fail(s);
  return config;
} catch (const YAML::Exception& e) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
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
      "            # one port: HTTP/1.1 and h2c; \"\" for none (then tls: is required)\n"
      "# tls: {listen: ", d.tls.listen_host, ":", d.tls.listen_port,
      ", cert_file: PEM, key_file: PEM, client_ca_file: PEM (optional, mTLS),"
      " handshake_timeout: ", common::FormatDuration(d.tls.handshake_timeout), "}\n"
      "workers: ", d.workers,
      "                        # event loops (threads); default: this machine's cores (",
      GatewayConfig::kMinWorkers, "..", GatewayConfig::kMaxWorkers, ")\n"
      "descriptors: []                   # required: protoc --include_imports --descriptor_set_out\n"
      "services: {}                      # required: <full service name>: {backends: [host:port]}\n"
      "# per service (every key optional except backends):\n"
      "#   backends: [host:port, {address: host:port, weight: 1..", Backend::kMaxWeight, "}]\n"
      "#   lb: ", r.lb, "               # least_request | weighted | ring_hash | peak_ewma\n"
      "#   hash_header: \"\"              # ring_hash only, required with it: e.g. x-room\n"
      "#   timeout: {default: ", common::FormatDuration(r.timeouts.default_timeout),
      ", max: ", common::FormatDuration(r.timeouts.max_timeout), "}\n",
      "#   health_check: {enabled: ", r.health_check.enabled ? "true" : "false",
      ", interval: ", common::FormatDuration(r.health_check.interval),
      ", timeout: ", common::FormatDuration(r.health_check.timeout),
      ", unhealthy_threshold: ", r.health_check.unhealthy_threshold,
      ", healthy_threshold: ", r.health_check.healthy_threshold, "}\n",
      "#   outlier: {consecutive_failures: ", r.outlier.consecutive_failures,
      ", base_ejection: ", common::FormatDuration(r.outlier.base_ejection),
      ", max_ejection: ", common::FormatDuration(r.outlier.max_ejection),
      "}   # 0 failures: off\n",
      "#   retries: {attempts: ", r.retries.attempts,
      "}       # total tries of an idempotent call; 1 = off\n",
      "#   auth: ", auth::AuthModeName(r.auth.mode), "                    # required | optional\n",
      limits::RateLimitDefaultsYaml(), auth::AuthDefaultsYaml(),
      "cors:\n  allow_origins: []\n",
      "# static: {root: DIR}             # files at / for paths no route claims (the web app)\n",
      "limits:\n",
      "  max_header_bytes: ", d.limits.max_header_bytes, "\n",
      "  max_message_bytes: ", d.limits.max_message_bytes, "\n",
      "  max_streams_per_connection: ", d.limits.max_streams_per_connection, "\n",
      "  idle_timeout: ", common::FormatDuration(d.limits.idle_timeout), "\n",
      "  connection_window_bytes: ", d.limits.connection_window_bytes, "\n",
      "  slow_client_timeout: ", common::FormatDuration(d.limits.slow_client_timeout),
      "     # 0s: off\n",
      "  max_body_bytes: ", d.limits.max_body_bytes,
      "                 # streamed request bodies; 0: no limit\n",
      "  shutdown_grace: ", common::FormatDuration(d.limits.shutdown_grace),
      "            # calls in flight finish within it when the gateway stops\n",
      "  max_connections: ", d.limits.max_connections,
      "            # open client connections, both listeners\n",
      "  max_connections_per_client: ", d.limits.max_connections_per_client,
      "  # from one client address\n");
}

}  // namespace switchboard::gateway
