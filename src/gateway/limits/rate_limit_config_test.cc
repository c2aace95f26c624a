// rate_limit: blocks as a service block holds them.
#include "gateway/limits/rate_limit_config.h"

#include <gtest/gtest.h>

namespace switchboard::gateway::limits {
namespace {

TEST(RateLimitConfig, ServiceAndMethodPolicies) {
  const YAML::Node service = YAML::Load(
      "rate_limit: {requests_per_second: 100, burst: 200, key: client_ip, max_keys: 50}\n"
      "methods: {Get: {rate_limit: {requests_per_second: 0.5, key: 'header:x-api-key'}}}\n");
  RouteRateLimit limits;
  ASSERT_TRUE(ReadRouteRateLimit(service, "services.s", &limits).ok());
  ASSERT_TRUE(limits.service.has_value());
  EXPECT_EQ(limits.service->requests_per_second, 100);
  EXPECT_EQ(limits.service->burst, 200);
  EXPECT_EQ(limits.service->max_keys, 50u);
  EXPECT_EQ(limits.For("Other"), &*limits.service);
  const RateLimitPolicy* get = limits.For("Get");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->burst, 1);
  EXPECT_EQ(get->key.kind, RateLimitKey::Kind::kHeader);
  EXPECT_EQ(get->key.name, "x-api-key");
  EXPECT_EQ(get->max_keys, RateLimitPolicy::kDefaultMaxKeys);
}

TEST(RateLimitConfig, BadValuesNameTheirKey) {
  const struct {
    const char* yaml;
    const char* mentions;
  } cases[] = {
      {"rate_limit: 5", "services.s.rate_limit: expected a map"},
      {"rate_limit: {requests_per_second: -1}", "services.s.rate_limit.requests_per_second"},
      {"rate_limit: {requests_per_second: 1, burst: 0}", "services.s.rate_limit.burst: 0"},
      {"rate_limit: {requests_per_second: 1, key: 'header:'}", "services.s.rate_limit.key"},
      {"rate_limit: {requests_per_second: 1, key: 'claim:'}", "services.s.rate_limit.key"},
      {"rate_limit: {requests_per_second: 1, per: minute}", "services.s.rate_limit.per: unknown"},
  };
  for (const auto& c : cases) {
    RouteRateLimit limits;
    const absl::Status status = ReadRouteRateLimit(YAML::Load(c.yaml), "services.s", &limits);
    ASSERT_FALSE(status.ok()) << c.yaml;
    EXPECT_NE(status.message().find(c.mentions), std::string::npos) << c.yaml << " -> " << status;
  }
}

}  // namespace
}  // namespace switchboard::gateway::limits
