// Peak-EWMA end to end: a real GatewayServer in front of two fraud replicas on loopback, one
// slowed by the service's own artificial delay. Calls made one after another keep every
// backend's in-flight count at zero, so least_request cannot tell the replicas apart while
// peak_ewma, which measures their latency, sends almost everything to the fast one. The split
// is read from the gateway's own /metrics.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <regex>
#include <string>

#include "gateway/gateway_config.h"
#include "gateway/gateway_server.h"
#include "gateway/testing/gateway_test_support.h"
#include "gateway/testing/http1_get.h"
#include "services/fraud/fraud_service.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using std::chrono::seconds;

constexpr char kFraud[] = "switchboard.fraud.v1.FraudService";
// Slower than the policy's default RTT (30 ms) for an endpoint not measured yet.
constexpr char kSlowSettings[] = "{delay: 50ms}";
constexpr int kCalls = 200;
constexpr seconds kCallDeadline{5};
// Calls made under round robin before the policy under test takes over, so that the
// gateway's connections to both replicas are up: otherwise the first call to each would time a
// TCP and HTTP/2 handshake, which peak-EWMA remembers for its decay time.
constexpr int kWarmUpCalls = 20;
// What each policy must show with one call at a time (its expected share: ~1 and 1/2).
constexpr double kPeakEwmaMinFastShare = 0.9;
constexpr double kLeastRequestMaxFastShare = 0.7;

// One per-backend metric of the fraud service from the gateway's /metrics: backend -> value.
std::map<std::string, double> PerBackend(int port, const std::string& metric) {
  const std::string text = testing::HttpGet(port, "/metrics").body;
  std::map<std::string, double> values;
  const std::regex line(metric + "\\{service=\"" + kFraud +
                        "\",backend=\"([^\"]+)\"\\} ([0-9.e+-]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it) {
    values[(*it)[1]] = std::stod((*it)[2]);
  }
  return values;
}

std::map<std::string, double> RequestsPerBackend(int port) {
  return PerBackend(port, "switchboard_gateway_upstream_requests_total");
}

// `calls` fraud checks, one after another on one connection; returns the failures.
int CheckOneAtATime(int port, int calls) {
  auto stub = fraud::v1::FraudService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  int failures = 0;
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    fraud::v1::CheckRequest request;
    request.set_user_id("user-" + std::to_string(i));  // below every per-user velocity limit
    request.set_amount(100);
    request.set_currency("EUR");
    fraud::v1::CheckResult result;
    if (!stub->Check(&context, request, &result).ok()) ++failures;
  }
  return failures;
}

// The share of `kCalls` sequential calls that `policy` sent to the fast replica.
double FastShare(const std::string& policy) {
  switchboard::testing::TestServer fast{fraud::MakeFraudService};
  switchboard::testing::TestServer slow{fraud::MakeFraudService, kSlowSettings};
  GatewayConfig config = TestGatewayConfig({{kFraud, fast.address()}});
  ServiceRoute& route = config.services[kFraud];
  route.backends = {*ParseBackend(fast.address()), *ParseBackend(slow.address())};
  route.lb = "round_robin";
  auto gateway = GatewayServer::Start(config);
  EXPECT_TRUE(gateway.ok()) << gateway.status();
  if (!gateway.ok()) return -1;
  const int port = (*gateway)->port();
  EXPECT_EQ(CheckOneAtATime(port, kWarmUpCalls), 0);
  route.lb = policy;
  EXPECT_TRUE((*gateway)->Reload(config).ok());
  const auto before = RequestsPerBackend(port);
  EXPECT_EQ(CheckOneAtATime(port, kCalls), 0);
  auto after = RequestsPerBackend(port);
  const double to_fast = after[fast.address()] - before.at(fast.address());
  const double to_slow = after[slow.address()] - before.at(slow.address());
  EXPECT_EQ(to_fast + to_slow, kCalls) << testing::HttpGet((*gateway)->port(), "/metrics").body;
  std::cout << policy << ": fast replica " << to_fast << " calls, slow (" << kSlowSettings << ") "
            << to_slow << " of " << kCalls << " (fast share " << to_fast / kCalls << ")\n";
  return to_fast / kCalls;
}

// The gateway's YAML accepts the name wherever the other policies are accepted.
TEST(PeakEwmaEndToEnd, TheGatewayConfigAcceptsThePolicyName) {
  auto config = ParseGatewayConfig(
      "descriptors: [x.pb]\nservices: {a.B: {backends: [h:1, h:2], lb: peak_ewma}}\n", "t.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->services.at("a.B").lb, "peak_ewma");
  auto misspelt = ParseGatewayConfig(
      "descriptors: [x.pb]\nservices: {a.B: {backends: [h:1], lb: peak-ewma}}\n", "t.yaml");
  ASSERT_FALSE(misspelt.ok());
  EXPECT_NE(misspelt.status().message().find("peak_ewma"), std::string::npos) << misspelt.status();
}

TEST(PeakEwmaEndToEnd, SendsMostCallsToTheFastReplica) {
  EXPECT_GE(FastShare("peak_ewma"), kPeakEwmaMinFastShare);
}

// The contrast: with nothing ever in flight, counting calls is a coin toss.
TEST(PeakEwmaEndToEnd, LeastRequestCannotTellTheReplicasApart) {
  const double share = FastShare("least_request");
  EXPECT_GT(share, 1 - kLeastRequestMaxFastShare);
  EXPECT_LT(share, kLeastRequestMaxFastShare);
}

}  // namespace
}  // namespace switchboard::gateway
