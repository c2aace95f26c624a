// Rate limits at the real `switchboard gateway` process in front of a real ticket service:
// exact counts (a burst of N, then 429 with Retry-After over REST, RESOURCE_EXHAUSTED over
// native gRPC), buckets per client key, and nothing of a refused call reaching the backend.
#include <arpa/inet.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/codec/headers.h"
#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "gateway/testing/h2c_test_client.h"
#include "gateway/testing/http1_get.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/call_recorder.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using std::chrono::seconds;

constexpr char kGetEvent[] = "/switchboard.ticket.v1.TicketService/GetEvent";
constexpr char kListEvents[] = "/switchboard.ticket.v1.TicketService/ListEvents";
// The service's limit: a burst of kBurst, then one call per 1 / kRate seconds, slow enough
// that no token comes back while a test runs (Retry-After is 5 s).
constexpr int kBurst = 3;
constexpr double kRate = 0.2;
// ListEvents' own limit, per x-api-key.
constexpr int kListBurst = 2;

using switchboard::gateway::testing::HttpGet;
using switchboard::gateway::testing::HttpResponse;

class RateLimitE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = switchboard::testing::FreePort();
    const std::string config = dir_.path() + "/gateway.yaml";
    std::ofstream(config) << "listen: 127.0.0.1:" << port_ << "\nworkers: " << TestGatewayWorkers()
                          << "\ndescriptors: [" SB_DESCRIPTOR_SET "]\n"
                          << "services:\n"
                          << "  switchboard.ticket.v1.TicketService:\n"
                          << "    backends: [" << ticket_.address() << "]\n"
                          << "    rate_limit: {requests_per_second: " << kRate
                          << ", burst: " << kBurst << ", key: client_ip}\n"
                          << "    methods:\n"
                          << "      ListEvents: {rate_limit: {requests_per_second: " << kRate
                          << ", burst: " << kListBurst << ", key: 'header:x-api-key'}}\n";
    gateway_ = std::make_unique<GatewayProcess>(config, dir_.path() + "/gateway.log");
    ASSERT_NE(gateway_->Output().find("gateway listening"), std::string::npos)
        << gateway_->Output();
  }

  switchboard::testing::CallRecorder recorder_;
  switchboard::testing::TestServer ticket_{ticket::MakeTicketService, "{}", recorder_.Options()};
  switchboard::testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(RateLimitE2eTest, RestGetsItsBurstThen429WithRetryAfter) {
  for (int i = 0; i < kBurst; ++i) {
    const HttpResponse ok = HttpGet(port_, "/events/evt-1");
    ASSERT_EQ(ok.status, 200) << i << ": " << ok.body;
    EXPECT_EQ(ok.Header("retry-after"), "");
  }
  for (int i = 0; i < 2; ++i) {
    const HttpResponse refused = HttpGet(port_, "/events/evt-1");
    EXPECT_EQ(refused.status, 429) << refused.body;
    int retry_after = 0;
    ASSERT_TRUE(absl::SimpleAtoi(refused.Header("retry-after"), &retry_after))
        << refused.Header("retry-after");
    // One token takes 1 / kRate = 5 s; a fraction of one came back since the burst.
    EXPECT_GE(retry_after, 4);
    EXPECT_LE(retry_after, 5);
    EXPECT_NE(refused.body.find("\"code\":8"), std::string::npos) << refused.body;
    EXPECT_NE(refused.body.find("rate limit"), std::string::npos) << refused.body;
  }
  // Over h2c too, from the same address: the same bucket, still empty.
  gateway::testing::H2cClient h2(static_cast<uint16_t>(port_));
  const gateway::testing::H2Response h2_refused = h2.Call("GET", "/events/evt-1");
  EXPECT_EQ(h2_refused.status, 429) << h2_refused.body;
  EXPECT_FALSE(h2_refused.Header("retry-after").empty());
  EXPECT_EQ(recorder_.Started(kGetEvent), kBurst);
  const HttpResponse metrics = HttpGet(port_, "/metrics");
  EXPECT_NE(metrics.body.find(absl::StrCat("switchboard_gateway_rate_limited_total{method=\"",
                                           kGetEvent, "\"} 3")),
            std::string::npos)
      << metrics.body;
}

TEST_F(RateLimitE2eTest, NativeGrpcGetsResourceExhausted) {
  auto stub = ticket::v1::TicketService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  auto call = [&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(5));
    ticket::v1::GetEventRequest request;
    request.set_id("evt-1");
    ticket::v1::Event event;
    return stub->GetEvent(&context, request, &event);
  };
  for (int i = 0; i < kBurst; ++i) {
    const grpc::Status status = call();
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  const grpc::Status refused = call();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("per client_ip"), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(recorder_.Started(kGetEvent), kBurst);
}

TEST_F(RateLimitE2eTest, AMethodsOwnLimitHasABucketPerKey) {
  for (const char* key : {"team-a", "team-b"}) {
    for (int i = 0; i < kListBurst; ++i) {
      const HttpResponse ok = HttpGet(port_, "/events", {{"x-api-key", key}});
      ASSERT_EQ(ok.status, 200) << key << " " << i << ": " << ok.body;
    }
    const HttpResponse refused = HttpGet(port_, "/events", {{"x-api-key", key}});
    EXPECT_EQ(refused.status, 429) << key << ": " << refused.body;
  }
  EXPECT_EQ(recorder_.Started(kListEvents), 2 * kListBurst);
  // The service's own limit is untouched by ListEvents' calls.
  EXPECT_EQ(HttpGet(port_, "/events/evt-1").status, 200);
}

}  // namespace
}  // namespace switchboard::gateway
