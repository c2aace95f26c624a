#include "gateway/gateway_config.h"

#include <gtest/gtest.h>

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

TEST(GatewayConfig, SlowClientTimeoutAndBodyLimitAreRead) {
  auto config = ParseGatewayConfig(
      std::string(kMinimal) + "limits: {slow_client_timeout: 0s, max_body_bytes: 1048576}\n",
      "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->limits.slow_client_timeout, std::chrono::milliseconds(0));
  EXPECT_EQ(config->limits.max_body_bytes, 1048576);
}

TEST(GatewayConfig, EveryBadValueNamesItsKey) {
  struct Case {
    std::string yaml;
    std::string mentions;
  } cases[] = {
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [x]}}\n", "services.a.B.backends: \"x\" is not host:port"},
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
      {"descriptors: [x.pb]\nservices: {a.B: {backends: [h:1]}}\ntls: on\n", "tls: unknown key"},
      {"descriptors: [x.pb\n", "test.yaml"},
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
