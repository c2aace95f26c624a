#include "gateway/gateway_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway {
namespace {

constexpr char kMinimal[] = R"(
descriptors: [x.pb]
services:
  pkg.Svc:
    backends: [127.0.0.1:50051, localhost:50061]
)";

TEST(GatewayConfig, DefaultsFillEverythingOptional) {
  auto config = ParseGatewayConfig(kMinimal, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen_port, 8080);
  const ServiceRoute& route = config->services.at("pkg.Svc");
  EXPECT_EQ(route.backends.size(), 2u);
  EXPECT_EQ(route.backends[1].host, "localhost");
  EXPECT_EQ(route.lb, "round_robin");
  EXPECT_EQ(route.timeouts.default_timeout, std::chrono::seconds(5));
  EXPECT_EQ(config->limits.max_message_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(config->limits.slow_client_timeout, std::chrono::seconds(30));
  EXPECT_EQ(config->limits.max_body_bytes, 0);
}

TEST(GatewayConfig, WorkersDefaultToTheCoresAndAreRead) {
  auto defaults = ParseGatewayConfig(kMinimal, "test.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  EXPECT_EQ(defaults->workers,
            std::clamp(cores, GatewayConfig::kMinWorkers, GatewayConfig::kMaxWorkers));
  EXPECT_GE(defaults->workers, 1);
  auto three = ParseGatewayConfig(std::string(kMinimal) + "workers: 3\n", "test.yaml");
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->workers, 3);
  auto one = ParseGatewayConfig(std::string(kMinimal) + "workers: 1\n", "test.yaml");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->workers, 1);
  // --print-defaults shows this machine's count, as a line that parses back to it.
  const std::string printed = GatewayDefaultsYaml();
  const size_t at = printed.find("\nworkers: ");
  ASSERT_NE(at, std::string::npos) << printed;
  const std::string line = printed.substr(at + 1, printed.find('\n', at + 1) - at - 1);
  EXPECT_EQ(line.rfind(absl::StrCat("workers: ", defaults->workers, " "), 0), 0u) << line;
  auto reparsed = ParseGatewayConfig(line + kMinimal, "defaults.yaml");
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(reparsed->workers, defaults->workers);
}

TEST(GatewayConfig, SlowClientTimeoutAndBodyLimitAreRead) {
  auto config = ParseGatewayConfig(
      std::string(kMinimal) + "limits: {slow_client_timeout: 0s, max_body_bytes: 1048576}\n",
      "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.slow_client_timeout, std::chrono::milliseconds(0));
  EXPECT_EQ(config->limits.max_body_bytes, 1048576);
}

TEST(GatewayConfig, BalancingKeys) {
  auto config = ParseGatewayConfig(R"(
descriptors: [x.pb]
services:
  pkg.Svc:
    backends: [127.0.0.1:1, {address: 127.0.0.1:2, weight: 3}]
    lb: ring_hash
    hash_header: X-Room
    health_check: {enabled: false, interval: 2s, timeout: 100ms, unhealthy_threshold: 3, healthy_threshold: 2}
    outlier: {consecutive_failures: 0, base_ejection: 2s, max_ejection: 10s}
    retries: {attempts: 1}
  pkg.Other:
    backends: [127.0.0.1:3]
)",
                                   "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const ServiceRoute& route = config->services.at("pkg.Svc");
  EXPECT_EQ(route.backends[0].weight, 1);
  EXPECT_EQ(route.backends[1].weight, 3);
  EXPECT_EQ(route.backends[1].ToString(), "127.0.0.1:2");
  EXPECT_EQ(route.lb, "ring_hash");
  EXPECT_EQ(route.hash_header, "x-room");
  EXPECT_FALSE(route.health_check.enabled);
  EXPECT_EQ(route.health_check.interval, std::chrono::seconds(2));
  EXPECT_EQ(route.health_check.timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(route.health_check.unhealthy_threshold, 3);
  EXPECT_EQ(route.health_check.healthy_threshold, 2);
  EXPECT_EQ(route.outlier.consecutive_failures, 0);
  EXPECT_EQ(route.outlier.max_ejection, std::chrono::seconds(10));
  EXPECT_EQ(route.retries.attempts, 1);
  const ServiceRoute& other = config->services.at("pkg.Other");
  EXPECT_TRUE(other.health_check.enabled);
  EXPECT_EQ(other.health_check.interval, std::chrono::milliseconds(500));
  EXPECT_EQ(other.health_check.timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(other.health_check.unhealthy_threshold, 2);
  EXPECT_EQ(other.health_check.healthy_threshold, 1);
  EXPECT_EQ(other.outlier.consecutive_failures, 5);
  EXPECT_EQ(other.outlier.base_ejection, std::chrono::seconds(1));
  EXPECT_EQ(other.outlier.max_ejection, std::chrono::seconds(30));
  EXPECT_EQ(other.retries.attempts, 2);
  const std::string defaults = GatewayDefaultsYaml();
  EXPECT_NE(defaults.find("health_check: {enabled: true, interval: 500ms"), std::string::npos)
      << defaults;
  EXPECT_NE(defaults.find("retries: {attempts: 2}"), std::string::npos);
}

// Found by fuzz/gateway_config_fuzz: a list as a map key made yaml-cpp throw out of the parser,
// which would have ended the gateway at start or on SIGHUP.
TEST(GatewayConfig, AnyYamlShapeIsAnErrorNotAnException) {
  const std::string cases[] = {"?\n-\n-", "? [a, b]\n: 1\n",
                               std::string(kMinimal) + "limits: {[x]: 1}\n",
                               "descriptors: [x.pb]\nservices: {[a.B]: {backends: [h:1]}}\n"};
  for (const std::string& yaml : cases) {
    absl::StatusOr<GatewayConfig> config = absl::UnknownError("not parsed");
    EXPECT_NO_THROW(config = ParseGatewayConfig(yaml, "test.yaml")) << yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << yaml;
    EXPECT_EQ(config.status().message().rfind("test.yaml: ", 0), 0u) << config.status();
  }
}

TEST(GatewayConfig, EveryBadValueNamesItsKey) {
  struct Case {
    std::string yaml;
    std::string mentions;
  } cases[] = {
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [x]}}\n", "services.a.B.backends[0]: \"x\" is not host:port"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:99999]}}\n", "is not host:port"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], lb: random}}\n", "services.a.B.lb"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], colour: 1}}\n", "services.a.B.colour"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], timeout: {default: 9s, max: 1s}}}\n",
       "default is longer than max"},
      {"services: {a.B: {backends: [h:1]}}\n", "descriptors: missing"},
      {"descriptors: [x.pb]\n", "services: missing"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nlimits: {max_message_bytes: 5}\n",
       "limits.max_message_bytes: 5 is outside"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nlisten: nowhere\n", "listen"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nlimits: {slow_client_timeout: 5}\n",
       "limits.slow_client_timeout: duration \"5\""},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nlimits: {max_body_bytes: -1}\n",
       "limits.max_body_bytes: -1 is outside"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nquic: on\n", "quic: unknown key"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\ntls: on\n", "tls: expected a map"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\ntls: {cert_file: a.pem}\n",
       "tls.key_file: missing"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\n"
       "tls: {cert_file: a.pem, key_file: a.key, handshake_timeout: 0s}\n",
       "tls.handshake_timeout: must be more than 0s"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\n"
       "tls: {listen: nowhere, cert_file: a.pem, key_file: a.key}\n",
       "tls.listen"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nlisten: \"\"\n",
       "listen: is empty (no plaintext listener) and there is no tls: block"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], tls: {cert_file: c.pem}}}\n",
       "services.a.B.tls: cert_file and key_file go together"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], tls: {verify: no}}}\n",
       "services.a.B.tls.verify: unknown key"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nworkers: 0\n",
       "workers: 0 is outside 1..64"},
      {"descriptors: [x.pb]\ncors: {allow_origins: [\"https://a.test\"]}\nservices: {a.B: {backends: "
       "[h:1]}}\ncors: {allow_origins: [\"*\"]}\n",
       "duplicate key \"cors\""},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nworkers: 65\n",
       "workers: 65 is outside 1..64"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\nworkers: all\n",
       "workers: \"all\" is not an integer"},
      {"descriptors: [x.pb\n", "test.yaml"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [{address: h:1, weight: 0}]}}\n",
       "services.a.B.backends[0].weight: 0 is outside 1..1000"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [{address: h:1, weight: 1001}]}}\n",
       "services.a.B.backends[0].weight: 1001 is outside"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [{weight: 2}]}}\n",
       "services.a.B.backends[0].address: missing"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [{address: h:1, port: 2}]}}\n",
       "services.a.B.backends[0].port: unknown key"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1, h:1]}}\n", "h:1 is listed twice"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], lb: ring_hash}}\n",
       "services.a.B.hash_header: required with lb: ring_hash"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], health_check: {interval: 0s}}}\n",
       "services.a.B.health_check.interval"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], health_check: {enabled: maybe}}}\n",
       "services.a.B.health_check.enabled: \"maybe\" is not true or false"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], health_check: {unhealthy_threshold: 0}}}\n",
       "services.a.B.health_check.unhealthy_threshold: 0 is outside"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], outlier: {base_ejection: 9s, max_ejection: 1s}}}\n",
       "services.a.B.outlier: base_ejection is longer than max_ejection"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], outlier: {consecutive_failures: x}}}\n",
       "services.a.B.outlier.consecutive_failures: \"x\" is not an integer"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], retries: {attempts: 0}}}\n",
       "services.a.B.retries.attempts: 0 is outside 1..5"},
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], retries: {tries: 2}}}\n",
       "services.a.B.retries.tries: unknown key"},
  };
  for (const auto& c : cases) {
    auto config = ParseGatewayConfig(c.yaml, "test.yaml");
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_NE(std::string(config.status().message()).find(c.mentions), std::string::npos)
        << config.status().message();
  }
}

}  // namespace
}  // namespace switchboard::gateway

namespace switchboard::gateway {
namespace {

TEST(GatewayConfig, TlsListenerAndBackendTls) {
  auto config = ParseGatewayConfig(
      "listen: \"\"\ndescriptors: [x.pb]\n"
      "tls: {listen: 0.0.0.0:9443, cert_file: s.pem, key_file: s.key, client_ca_file: c.pem,"
      " handshake_timeout: 2s}\n"
      "services: {a.B: {backends: [h:1], tls: {ca_file: ca.pem, server_name: b.internal}}}\n",
      "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->plaintext);
  EXPECT_TRUE(config->tls.enabled());
  EXPECT_EQ(config->tls.listen_host, "0.0.0.0");
  EXPECT_EQ(config->tls.listen_port, 9443);
  EXPECT_EQ(config->tls.client_ca_file, "c.pem");
  EXPECT_EQ(config->tls.handshake_timeout, std::chrono::milliseconds(2000));
  const UpstreamTlsConfig& upstream = config->services.at("a.B").tls;
  EXPECT_TRUE(upstream.enabled);
  EXPECT_EQ(upstream.ca_file, "ca.pem");
  EXPECT_EQ(upstream.server_name, "b.internal");
  EXPECT_TRUE(upstream.cert_file.empty());
  // Without a tls: block the listener is off and the plaintext one on, as before.
  auto plain = ParseGatewayConfig("descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\n",
                                  "test.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->plaintext);
  EXPECT_FALSE(plain->tls.enabled());
  EXPECT_FALSE(plain->services.at("a.B").tls.enabled);
}

}  // namespace
}  // namespace switchboard::gateway
