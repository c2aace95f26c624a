// The gateway's configuration (shared/design/gateway-config.md): one YAML block per concern,
// defaults here and nowhere else, every bad key or value a one-line error naming it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/auth/auth_config.h"
#include "gateway/limits/rate_limit_config.h"
#include "gateway/static_files/static_config.h"
#include "lb/health.h"
#include "lb/outlier.h"

namespace switchboard::gateway {

struct Backend {
  static constexpr int kMaxWeight = 1000;
  std::string host;
  uint16_t port = 0;
  int weight = 1;  // for lb: weighted and ring_hash
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

struct RouteTimeouts {
  std::chrono::milliseconds default_timeout{5000};
  std::chrono::milliseconds max_timeout{30000};
};

struct RetryPolicy {
  // Total tries of an idempotent call (1 = no retry).
  int attempts = 2;
  static constexpr int kMaxAttempts = 5;
  // A request larger than this is not kept for a retry (and so is tried once).
  static constexpr size_t kMaxBufferedRequestBytes = 64 * 1024;
};

// TLS to a service's backends (`tls:` under the service): the backend's certificate verified
// against ca_file (the system's CAs when empty) for server_name (the backend's host when
// empty); with cert_file and key_file the gateway shows its own certificate (mTLS).
struct UpstreamTlsConfig {
  bool enabled = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool operator==(const UpstreamTlsConfig& other) const {
    return enabled == other.enabled && ca_file == other.ca_file &&
           cert_file == other.cert_file && key_file == other.key_file &&
           server_name == other.server_name;
  }
};

struct ServiceRoute {
  std::string name;  // full gRPC service name
  std::vector<Backend> backends;
  std::string lb = "round_robin";
  // ring_hash: the request header whose value is hashed (required with it).
  std::string hash_header;
  lb::HealthOptions health_check;
  lb::OutlierOptions outlier;
  RetryPolicy retries;
  RouteTimeouts timeouts;
  // `auth:` and `rate_limit:`, the service's and its methods' (`methods:`).
  auth::RouteAuth auth;
  limits::RouteRateLimit rate_limit;
  UpstreamTlsConfig tls;
};

struct Limits {
  int64_t max_header_bytes = 65536;
  int64_t max_message_bytes = 4 * 1024 * 1024;
  int64_t max_streams_per_connection = 1024;
  std::chrono::milliseconds idle_timeout{60000};
  // A client that stalls for this long is dropped (0: never): HTTP/1.1 request headers not
  // complete (408), a request body making no progress (408, the call cancelled), a response
  // it does not read (the call cancelled, the connection or stream reset).
  std::chrono::milliseconds slow_client_timeout{30000};
  // A streamed request body (NDJSON or raw bytes to a client-streaming method) in all; 0 for no
  // limit, as the gateway holds only a window of it and the service bounds what it keeps.
  // Each message of it is still bounded by max_message_bytes.
  int64_t max_body_bytes = 0;
  // Flow-control window of each HTTP/2 connection, both sides: how much may be in flight on
  // one connection before its reader takes it.
  int64_t connection_window_bytes = 16 << 20;
  // How long a stopping gateway lets calls in flight finish (no new ones are taken, h2c
  // clients get GOAWAY) before it ends the rest UNAVAILABLE "the gateway is shutting down".
  std::chrono::milliseconds shutdown_grace{2000};
  // Open client connections, both listeners together, and from one client address; a
  // connection over either is closed at accept (a 503 first over plaintext).
  int64_t max_connections = 10000;
  int64_t max_connections_per_client = 1000;
};

// The TLS listener (`tls:`), beside the plaintext one or instead of it.
struct TlsListenerConfig {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8443;
  std::string cert_file;       // PEM chain; set means the listener is on
  std::string key_file;        // PEM key
  std::string client_ca_file;  // optional: clients must present a certificate from these CAs
  // A connection whose handshake has not finished by then is closed.
  std::chrono::milliseconds handshake_timeout{10000};
  bool enabled() const { return !cert_file.empty(); }
};

// The number of event loops when the file does not say: one per core
// (std::thread::hardware_concurrency(), at least 1 and at most GatewayConfig::kMaxWorkers).
int DefaultWorkerCount();

struct GatewayConfig {
  // Event loops (threads), each with its own client connections and backend connections; the
  // listener deals accepted connections to them in turn. 1 is a single-threaded gateway.
  static constexpr int kMinWorkers = 1;
  // Beyond this a value is a typo: the gateway's work per call is small enough that a few
  // dozen loops saturate any machine it runs on, and each loop holds its own backend
  // connections and health checks.
  static constexpr int kMaxWorkers = 64;
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  // `listen: ""`: no plaintext listener (then `tls:` is required).
  bool plaintext = true;
  TlsListenerConfig tls;
  int workers = DefaultWorkerCount();
  std::vector<std::string> descriptors;
  std::map<std::string, ServiceRoute> services;
  std::vector<std::string> cors_allow_origins;
  Limits limits;
  static_files::StaticConfig static_files;
  auth::AuthConfig auth;
};

// Parses YAML text; `source` names it in errors. Checks shape and values, not descriptors.
absl::StatusOr<GatewayConfig> ParseGatewayConfig(const std::string& yaml, const std::string& source);
absl::StatusOr<GatewayConfig> LoadGatewayConfig(const std::string& path);
// The defaults as a commented YAML document (`switchboard gateway --print-defaults`).
std::string GatewayDefaultsYaml();
absl::StatusOr<Backend> ParseBackend(const std::string& text);

}  // namespace switchboard::gateway
