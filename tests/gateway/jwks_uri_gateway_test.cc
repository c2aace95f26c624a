// jwks_uri at the real `switchboard gateway` process: it starts while the key server fails
// and refuses tokens with a reason until the keys arrive, then serves them; a rotated key is
// fetched at the first token naming it.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gateway/auth/jwt_test_keys.h"
#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "gateway/testing/http1_get.h"
#include "jwks_test_server.h"
#include "services/ticket/ticket_service.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using auth::Algorithm;
using auth::testing::Claims;
using auth::testing::TestKey;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace http = boost::beast::http;
using testing::Answer;
using testing::HttpGet;
using testing::HttpResponse;
using testing::JwksServer;
using Clock = std::chrono::steady_clock;

constexpr char kIssuer[] = "https://issuer.test";
constexpr char kAudience[] = "switchboard";
constexpr auto kStartLimit = seconds(20);
constexpr auto kWaitLimit = seconds(10);
constexpr milliseconds kPoll{50};
// Retries of a failed fetch and refetches for unknown kids: quick, for the test.
constexpr char kMinRefetch[] = "200ms";

TEST(JwksUriGatewayTest, RefusesUntilTheKeysArriveThenFollowsARotation) {
  switchboard::testing::TempDir dir;
  auto tls = cli::EnsureLocalTls(dir.path() + "/tls", "127.0.0.1");
  ASSERT_TRUE(tls.ok()) << tls.status();
  const TestKey k1(Algorithm::kEs256, "k1");
  const TestKey k2(Algorithm::kRs256, "k2");
  // Up, but failing: the gateway starts all the same.
  JwksServer keys(*tls, {http::status::service_unavailable, "busy"});
  switchboard::testing::TestServer ticket(ticket::MakeTicketService);
  const int port = switchboard::testing::FreePort();
  const std::string config = dir.path() + "/gateway.yaml";
  std::ofstream(config) << "listen: 127.0.0.1:" << port << "\nworkers: " << TestGatewayWorkers()
                        << "\ndescriptors: [" SB_DESCRIPTOR_SET "]\n"
                        << "auth:\n  jwt:\n    - {name: main, issuer: '" << kIssuer
                        << "', audiences: [" << kAudience << "], jwks_uri: '" << keys.Url()
                        << "', jwks_ca_file: " << tls->ca_cert
                        << ", jwks_min_refetch: " << kMinRefetch << "}\n"
                        << "services:\n  switchboard.ticket.v1.TicketService:\n"
                        << "    backends: [" << ticket.address() << "]\n    auth: required\n";
  GatewayProcess gateway(config, dir.path() + "/gateway.log");
  ASSERT_NE(gateway.Output().find("gateway listening"), std::string::npos) << gateway.Output();

  auto get = [&](const TestKey& key) {
    const std::string token =
        key.Sign(Claims(kIssuer, kAudience, "alice", std::time(nullptr) + 300));
    return HttpGet(port, "/events/evt-1", {{"authorization", "Bearer " + token}});
  };
  auto wait_for_status = [&](const TestKey& key, int status) {
    const auto until = Clock::now() + kWaitLimit;
    while (get(key).status != status && Clock::now() < until) std::this_thread::sleep_for(kPoll);
    return get(key).status == status;
  };
  const HttpResponse early = get(k1);
  EXPECT_EQ(early.status, 401) << early.body;
  EXPECT_NE(early.Header("www-authenticate").find("not available yet"), std::string::npos)
      << early.Header("www-authenticate");
  // The first fetch runs beside the listener: its line may come just after the first call.
  const std::string failed = "failed: answered 503; its tokens are refused until a fetch succeeds";
  const auto log_until = Clock::now() + kWaitLimit;
  while (gateway.Output().find(failed) == std::string::npos && Clock::now() < log_until) {
    std::this_thread::sleep_for(kPoll);
  }
  EXPECT_NE(gateway.Output().find(failed), std::string::npos) << gateway.Output();

  keys.Set({http::status::ok, auth::testing::Jwks({&k1})});
  EXPECT_TRUE(wait_for_status(k1, 200)) << gateway.Output();

  // Rotation: the first token with k2 is refused (unknown kid) and asks for a fetch.
  keys.Set({http::status::ok, auth::testing::Jwks({&k1, &k2})});
  EXPECT_TRUE(wait_for_status(k2, 200)) << gateway.Output();
  EXPECT_EQ(get(k1).status, 200);
  EXPECT_NE(gateway.Output().find("2 keys from " + keys.Url() + " (kids k1,k2)"), std::string::npos)
      << gateway.Output();
  EXPECT_EQ(gateway.Stop(SIGTERM, kStartLimit), 0) << gateway.Output();
}

}  // namespace
}  // namespace switchboard::gateway
