// The auth: block, a service's and a method's auth: and rate_limit:, read through the
// gateway's own parser; every bad value names its key.
#include "gateway/auth/auth_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gateway/auth/authenticator.h"
#include "gateway/auth/jwt_test_keys.h"
#include "gateway/gateway_config.h"

namespace switchboard::gateway::auth {
namespace {

class AuthConfigTest : public ::testing::Test {
 protected:
  AuthConfigTest() : jwks_(::testing::TempDir() + "/auth_config_test_jwks.json") {
    std::ofstream(jwks_) << testing::Jwks({&key_});
  }
  ~AuthConfigTest() override { std::remove(jwks_.c_str()); }
  std::string Yaml(const std::string& provider_extra, const std::string& service_extra) {
    return absl::StrCat(
        "descriptors: [x.pb]\n"
        "auth:\n"
        "  cache_entries: 5\n"
        "  jwt:\n"
        "    - name: main\n"
        "      issuer: https://issuer.example.com\n"
        "      audiences: [switchboard]\n"
        "      jwks_file: ",
        jwks_, "\n", provider_extra,
        "services:\n"
        "  pkg.Svc:\n"
        "    backends: [127.0.0.1:1]\n",
        service_extra);
  }
  testing::TestKey key_{Algorithm::kEdDsa, "k"};
  std::string jwks_;
};

TEST_F(AuthConfigTest, ReadsProvidersModesAndLimits) {
  auto config = ParseGatewayConfig(
      Yaml("      forward_claims: {sub: X-User-Id, tenant: x-tenant}\n"
           "      from_query: access_token\n"
           "      clock_skew: 5s\n",
           "    auth: required\n"
           "    rate_limit: {requests_per_second: 2.5, burst: 4, key: 'claim:sub'}\n"
           "    methods:\n"
           "      GetEvent: {auth: none}\n"
           "      ListEvents: {rate_limit: {requests_per_second: 1, key: 'header:X-Key'}}\n"),
      "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->auth.providers.size(), 1u);
  const JwtProvider& provider = config->auth.providers[0];
  EXPECT_EQ(provider.forward_claims[0],
            std::make_pair(std::string("sub"), std::string("x-user-id")));
  EXPECT_EQ(provider.source.kind, TokenSource::Kind::kQuery);
  EXPECT_EQ(provider.rules.clock_skew, std::chrono::seconds(5));
  EXPECT_EQ(provider.keys->keys.size(), 1u);
  ASSERT_NE(config->auth.authenticator, nullptr);
  EXPECT_EQ(config->auth.cache_entries, 5u);
  const ServiceRoute& route = config->services.at("pkg.Svc");
  EXPECT_EQ(route.auth.ModeOf("CreateThing"), AuthMode::kRequired);
  EXPECT_EQ(route.auth.ModeOf("GetEvent"), AuthMode::kNone);
  const limits::RateLimitPolicy* service = route.rate_limit.For("GetEvent");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->burst, 4);
  EXPECT_EQ(service->key.ToString(), "claim:sub");
  const limits::RateLimitPolicy* method = route.rate_limit.For("ListEvents");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(method->burst, 1);  // requests_per_second, rounded up
  EXPECT_EQ(method->key.ToString(), "header:x-key");
  EXPECT_NE(method->buckets, service->buckets);
  EXPECT_EQ(OnlyTokenParameters(config->auth, "access_token=abc"), true);
  EXPECT_EQ(OnlyTokenParameters(config->auth, "access_token=abc&x=1"), false);
}

TEST_F(AuthConfigTest, WithoutAnAuthBlockNothingChanges) {
  auto config = ParseGatewayConfig("descriptors: [x.pb]\nservices: {pkg.Svc: {backends: [h:1]}}\n",
                                   "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->auth.authenticator, nullptr);
  EXPECT_EQ(config->services.at("pkg.Svc").auth.mode, AuthMode::kNone);
  EXPECT_EQ(config->services.at("pkg.Svc").rate_limit.For("Any"), nullptr);
}

TEST_F(AuthConfigTest, EveryBadValueNamesItsKey) {
  const struct {
    std::string provider_extra;
    std::string service_extra;
    std::string mentions;
  } cases[] = {
      {"      jwks_uri: https://x/jwks\n", "",
       "auth.jwt[0]: jwks_file and jwks_uri: one key source only"},
      {"      colour: red\n", "", "auth.jwt[0].colour: unknown key"},
      {"      forward_claims: {sub: 'bad header'}\n", "", "auth.jwt[0].forward_claims.sub"},
      {"      forward_claims: {sub: grpc-status}\n", "", "is reserved"},
      {"      from_header: token\n", "", "auth.jwt[0].from_header"},
      {"      from_header: x-a\n      from_query: b\n", "", "one token source only"},
      {"      clock_skew: 1h\n", "", "auth.jwt[0].clock_skew"},
      {"", "    auth: always\n", "services.pkg.Svc.auth: \"always\""},
      {"", "    methods: {Get: {auth: maybe}}\n", "services.pkg.Svc.methods.Get.auth"},
      {"", "    methods: {Get: {timeout: 1s}}\n", "services.pkg.Svc.methods.Get.timeout: unknown"},
      {"", "    rate_limit: {burst: 3}\n",
       "services.pkg.Svc.rate_limit.requests_per_second: missing"},
      {"", "    rate_limit: {requests_per_second: 0}\n", "requests_per_second: must be > 0"},
      {"", "    rate_limit: {requests_per_second: 1, key: cookie}\n",
       "services.pkg.Svc.rate_limit.key: \"cookie\""},
      {"", "    rate_limit: {requests_per_second: 1, max_keys: 0}\n", "rate_limit.max_keys: 0"},
      {"", "    methods: {Get: {rate_limit: {requests_per_second: x}}}\n",
       "services.pkg.Svc.methods.Get.rate_limit.requests_per_second"},
  };
  for (const auto& c : cases) {
    auto config = ParseGatewayConfig(Yaml(c.provider_extra, c.service_extra), "test.yaml");
    ASSERT_FALSE(config.ok()) << c.mentions;
    EXPECT_NE(config.status().message().find(c.mentions), std::string::npos)
        << c.mentions << " -> " << config.status();
  }
  auto missing_file = ParseGatewayConfig(
      "descriptors: [x.pb]\nauth: {jwt: [{name: a, issuer: i, jwks_file: /nonexistent.json}]}\n"
      "services: {pkg.Svc: {backends: [h:1]}}\n",
      "test.yaml");
  ASSERT_FALSE(missing_file.ok());
  EXPECT_NE(missing_file.status().message().find("auth.jwt[0].jwks_file: cannot read"),
            std::string::npos)
      << missing_file.status();
  auto no_provider = ParseGatewayConfig(
      "descriptors: [x.pb]\nservices: {pkg.Svc: {backends: [h:1], auth: required}}\n", "test.yaml");
  ASSERT_FALSE(no_provider.ok());
  EXPECT_NE(no_provider.status().message().find(
                "services.pkg.Svc.auth: required needs a provider in auth.jwt"),
            std::string::npos)
      << no_provider.status();
  auto claim_without_provider = ParseGatewayConfig(
      "descriptors: [x.pb]\nservices: {pkg.Svc: {backends: [h:1], rate_limit: "
      "{requests_per_second: 1, key: 'claim:sub'}}}\n",
      "test.yaml");
  ASSERT_FALSE(claim_without_provider.ok());
  EXPECT_NE(claim_without_provider.status().message().find("rate_limit.key: a claim key"),
            std::string::npos)
      << claim_without_provider.status();
}

TEST_F(AuthConfigTest, ReadsAJwksUriWithoutFetchingIt) {
  // Port 1 on loopback: nothing answers, and nothing is asked before the gateway starts.
  auto config = ParseGatewayConfig(
      "descriptors: [x.pb]\nauth: {jwt: [{name: a, issuer: i, jwks_uri: "
      "'https://127.0.0.1:1/keys', jwks_refresh: 90s}]}\n"
      "services: {pkg.Svc: {backends: [h:1], auth: required}}\n",
      "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  const JwtProvider& provider = config->auth.providers[0];
  ASSERT_NE(provider.refresher, nullptr);
  EXPECT_EQ(provider.keys, nullptr);
  EXPECT_EQ(provider.refresher->options().url.port, 1);
  EXPECT_EQ(provider.refresher->options().url.target, "/keys");
  EXPECT_EQ(provider.refresher->options().refresh, std::chrono::seconds(90));
  EXPECT_EQ(provider.refresher->options().ca_file, "");
  EXPECT_EQ(provider.refresher->attempts(), 0u);
  // A token meets no keys yet: refused with its own reason.
  const std::string token = key_.Sign(testing::Claims("i", "a", "s", 4'000'000'000));
  const AuthOutcome outcome =
      config->auth.authenticator->Authenticate({{"authorization", "Bearer " + token}}, "");
  EXPECT_EQ(outcome.kind, AuthOutcome::Kind::kRejected);
  EXPECT_EQ(outcome.reason, Rejection::kKeysUnavailable);
}

TEST_F(AuthConfigTest, RefusesBadJwksUriSettings) {
  struct Case {
    std::string provider;
    std::string mentions;
  };
  const std::string uri = "jwks_uri: 'https://idp.example/keys'";
  const Case cases[] = {
      {"jwks_uri: 'http://idp.example/keys'",
       "auth.jwt[0].jwks_uri: \"http://idp.example/keys\": only https:// URLs are accepted"},
      {"jwks_uri: 'https://'", "auth.jwt[0].jwks_uri: \"https://\": no host"},
      {uri + ", jwks_file: x.json", "auth.jwt[0]: jwks_file and jwks_uri: one key source only"},
      {uri + ", jwks_refresh: 10ms", "auth.jwt[0].jwks_refresh: 10ms is below 1s"},
      {uri + ", jwks_refresh: soon", "auth.jwt[0].jwks_refresh"},
      {uri + ", jwks_ca_file: /nonexistent/ca.pem",
       "auth.jwt[0].jwks_ca_file: /nonexistent/ca.pem"},
      {"jwks_ca_file: ca.pem", "auth.jwt[0].jwks_ca_file: only with jwks_uri"},
      {"jwks_refresh: 1m", "auth.jwt[0].jwks_refresh: only with jwks_uri"},
      {"", "auth.jwt[0].jwks_file: missing (or jwks_uri)"},
  };
  for (const auto& c : cases) {
    auto config =
        ParseGatewayConfig(absl::StrCat("descriptors: [x.pb]\nauth: {jwt: [{name: a, issuer: i",
                                        c.provider.empty() ? "" : ", ", c.provider,
                                        "}]}\nservices: {pkg.Svc: {backends: [h:1]}}\n"),
                           "test.yaml");
    ASSERT_FALSE(config.ok()) << c.mentions;
    EXPECT_NE(config.status().message().find(c.mentions), std::string::npos)
        << c.mentions << " -> " << config.status();
  }
}

TEST_F(AuthConfigTest, PrintedDefaultsParseBack) {
  const std::string printed = GatewayDefaultsYaml();
  const size_t at = printed.find("\nauth:\n");
  ASSERT_NE(at, std::string::npos) << printed;
  EXPECT_NE(printed.find(absl::StrCat("cache_entries: ", AuthConfig::kDefaultCacheEntries)),
            std::string::npos);
  EXPECT_NE(printed.find("#   auth: none"), std::string::npos) << printed;
  EXPECT_NE(printed.find("#   rate_limit: {requests_per_second"), std::string::npos) << printed;
}

}  // namespace
}  // namespace switchboard::gateway::auth
