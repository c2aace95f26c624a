// The checks StartBackendCall makes before a backend call, without sockets: the modes
// (required, optional, none per method), what a refusal carries for an HTTP answer, the rate
// limit, and the backend's metadata (a client's own forwarded headers dropped, the claim added).
#include "gateway/auth/access_control.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gateway/auth/jwt_test_keys.h"
#include "gateway/gateway_metrics.h"
#include "gateway/upstream/call_start.h"

namespace switchboard::gateway::auth {
namespace {

constexpr char kIssuer[] = "https://issuer.example.com";

class AccessControlTest : public ::testing::Test {
 protected:
  AccessControlTest() : jwks_(::testing::TempDir() + "/access_control_test_jwks.json") {
    std::ofstream(jwks_) << testing::Jwks({&key_});
    auto config = ParseGatewayConfig(
        absl::StrCat("descriptors: [x.pb]\n"
                     "auth: {jwt: [{name: main, issuer: '",
                     kIssuer, "', jwks_file: ", jwks_,
                     ", forward_claims: {sub: x-user-id}}]}\n"
                     "services:\n"
                     "  pkg.Svc:\n"
                     "    backends: [h:1]\n"
                     "    auth: required\n"
                     "    methods:\n"
                     "      Open: {auth: none}\n"
                     "      Maybe: {auth: optional}\n"
                     "      Limited: {auth: none, rate_limit: {requests_per_second: 0.001, burst: "
                     "2}}\n"),
        "test.yaml");
    EXPECT_TRUE(config.ok()) << config.status();
    config_ = std::move(*config);
    context_.config = &config_;
    context_.metrics = &metrics_;
  }
  ~AccessControlTest() override { std::remove(jwks_.c_str()); }

  Admission Admit(const std::string& method, const Headers& metadata, ProxyStream* stream) {
    RouteTarget target;
    target.route = &config_.services.at("pkg.Svc");
    stream->path = "/pkg.Svc/" + method;
    CallStart start;
    start.metadata = &metadata;
    start.client_address = [] { return std::string("192.0.2.7"); };
    return AdmitCall(context_, target, start, *stream);
  }
  std::string Token(const std::string& subject) {
    return key_.Sign(
        testing::Claims(kIssuer, "any", subject, Authenticator::SystemUnixSeconds() + 60));
  }

  testing::TestKey key_{Algorithm::kEs256, "k"};
  std::string jwks_;
  GatewayConfig config_;
  GatewayMetrics metrics_;
  GatewayContext context_{};
};

TEST_F(AccessControlTest, RequiredRefusesAMissingTokenWithWhatHttpNeeds) {
  ProxyStream stream;
  const Admission admission = Admit("Get", {}, &stream);
  EXPECT_EQ(admission.status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(admission.status.message(), "no token: send Authorization: Bearer <JWT>");
  ASSERT_EQ(stream.error_headers.size(), 1u);
  EXPECT_EQ(stream.error_headers[0].first, "www-authenticate");
  EXPECT_EQ(stream.error_headers[0].second,
            "Bearer error=\"invalid_token\", error_description=\"no token: send Authorization: "
            "Bearer <JWT>\"");
  EXPECT_NE(metrics_.Render().find("switchboard_gateway_auth_rejected_total{reason=\"missing\"} 1"),
            std::string::npos);
}

TEST_F(AccessControlTest, ModesPerMethod) {
  ProxyStream stream;
  EXPECT_TRUE(Admit("Open", {}, &stream).status.ok());
  EXPECT_TRUE(Admit("Maybe", {}, &stream).status.ok());
  // optional: a bad token is refused all the same.
  const Admission bad = Admit("Maybe", {{"authorization", "Bearer a.b.c"}}, &stream);
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kUnauthenticated) << bad.status;
  const Admission good = Admit("Get", {{"authorization", "Bearer " + Token("alice")}}, &stream);
  ASSERT_TRUE(good.status.ok()) << good.status;
  EXPECT_EQ(good.token->claims.at("sub"), "alice");
}

TEST_F(AccessControlTest, TheBackendGetsTheClaimAndNeverTheClientsCopy) {
  ProxyStream stream;
  const Admission admission =
      Admit("Get", {{"authorization", "Bearer " + Token("alice")}}, &stream);
  ASSERT_TRUE(admission.status.ok());
  Headers headers = {{":path", "/pkg.Svc/Get"},
                     {"X-User-Id", "mallory"},
                     {"x-user-id", "eve"},
                     {"x-other", "kept"}};
  AddIdentity(config_.auth, admission, headers);
  EXPECT_EQ(headers,
            (Headers{{":path", "/pkg.Svc/Get"}, {"x-other", "kept"}, {"x-user-id", "alice"}}));
  // Without a token (a method without auth) the copies go too, and nothing is added.
  Headers open = {{"x-user-id", "mallory"}};
  AddIdentity(config_.auth, Admission{}, open);
  EXPECT_TRUE(open.empty());
}

TEST_F(AccessControlTest, OverTheRateLimitIsResourceExhaustedWithRetryAfter) {
  ProxyStream stream;
  EXPECT_TRUE(Admit("Limited", {}, &stream).status.ok());
  EXPECT_TRUE(Admit("Limited", {}, &stream).status.ok());
  const Admission refused = Admit("Limited", {}, &stream);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status.message().find("per client_ip"), std::string::npos) << refused.status;
  ASSERT_EQ(stream.error_headers.size(), 1u);
  EXPECT_EQ(stream.error_headers[0], (std::pair<std::string, std::string>("retry-after", "1000")));
  EXPECT_NE(metrics_.Render().find(
                "switchboard_gateway_rate_limited_total{method=\"/pkg.Svc/Limited\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace switchboard::gateway::auth
