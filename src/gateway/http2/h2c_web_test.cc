// REST/JSON and gRPC-Web over HTTP/2 (h2c) through a real GatewayServer to real services:
// the same routes and answers as over HTTP/1.1, beside native gRPC on one connection.
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/gateway_server.h"
#include "gateway/testing/gateway_test_support.h"
#include "gateway/testing/h2c_test_client.h"
#include "services/chat/chat_service.h"
#include "services/fraud/fraud_service.h"
#include "services/stock/stock_service.h"
#include "services/ticket/ticket_service.h"
#include "services/upload/upload_service.h"
#include "services/upload/upload_test_util.h"
#include "services/user/user_service.h"
#include "testing/call_recorder.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using Clock = std::chrono::steady_clock;
using testing::GrpcFrame;
using testing::H2cClient;
using testing::H2Response;

// A GetEventRequest{id} / CheckRequest{user_id:"u1", amount:100, currency:"EUR"}, encoded.
std::string GetEventRequest(const std::string& id) {
  return "\x0a" + std::string(1, static_cast<char>(id.size())) + id;
}
const std::string kCheckRequest("\x0a\x02u1\x10\x64\x1a\x03" "EUR", 11);

const testing::HeaderList kGrpcWeb = {{"content-type", "application/grpc-web+proto"},
                                      {"x-grpc-web", "1"}};

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class H2cWebTest : public ::testing::Test {
 protected:
  void SetUp() override { StartGateway([](GatewayConfig&) {}); }

  void StartGateway(const std::function<void(GatewayConfig&)>& adjust) {
    GatewayConfig config =
        TestGatewayConfig({{"switchboard.ticket.v1.TicketService", ticket_.address()},
                           {"switchboard.stock.v1.StockService", stock_.address()},
                           {"switchboard.upload.v1.UploadService", upload_.address()},
                           {"switchboard.fraud.v1.FraudService", fraud_.address()},
                           {"switchboard.user.v1.UserService", user_.address()},
                           {"switchboard.chat.v1.ChatService", chat_.address()}});
    config.cors_allow_origins = {"http://app.test"};
    adjust(config);
    gateway_.reset();
    auto server = GatewayServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    gateway_ = std::move(*server);
  }

  // Polls /metrics (over h2c) until it contains every one of `needles`; returns the last text.
  std::string WaitForMetrics(const std::vector<std::string>& needles,
                             std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    std::string text;
    const auto until = Clock::now() + limit;
    do {
      H2cClient client(gateway_->port());
      text = client.Call("GET", "/metrics").body;
      bool all = true;
      for (const auto& needle : needles) all &= absl::StrContains(text, needle);
      if (all) return text;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (Clock::now() < until);
    return text;
  }

  switchboard::testing::TestServer ticket_{ticket::MakeTicketService};
  switchboard::testing::TestServer stock_{stock::MakeStockService, "{tick_interval: 10ms}"};
  switchboard::testing::TestServer upload_{upload::MakeUploadService};
  // What the fraud backend itself saw of each check (declared first: its server records).
  switchboard::testing::CallRecorder fraud_calls_;
  switchboard::testing::TestServer fraud_{fraud::MakeFraudService, "{delay: 5s}",
                                          fraud_calls_.Options()};
  switchboard::testing::TestServer user_{user::MakeUserService};
  switchboard::testing::TestServer chat_{chat::MakeChatService};
  std::unique_ptr<GatewayServer> gateway_;
};

TEST_F(H2cWebTest, RestRoutesAndErrorsAnswerAsOverHttp1) {
  H2cClient client(gateway_->port());
  H2Response event = client.Call("GET", "/events/evt-3");
  EXPECT_EQ(event.status, 200);
  EXPECT_EQ(event.Header("content-type"), "application/json");
  EXPECT_TRUE(absl::StrContains(event.body, R"("venue":"Blue Note, New York")")) << event.body;
  EXPECT_EQ(event.Header("x-server-id").rfind("127.0.0.1:", 0), 0u) << event.Header("x-server-id");

  H2Response page = client.Call("GET", "/events?page_size=2");
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(absl::StrContains(page.body, R"("nextPageToken":")")) << page.body;

  H2Response missing = client.Call("GET", "/events/evt-404");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(absl::StrContains(missing.body, R"("code":5)")) << missing.body;

  H2Response wrong_method = client.Call("DELETE", "/events/evt-3");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("allow"), "GET, HEAD");

  H2Response head = client.Call("HEAD", "/events/evt-3");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-length"), std::to_string(event.body.size()));
  EXPECT_EQ(head.Header("content-type"), "application/json");
  EXPECT_TRUE(head.body.empty());
  H2Response head_health = client.Call("HEAD", "/healthz");
  EXPECT_EQ(head_health.status, 200);
  EXPECT_EQ(head_health.Header("content-length"), "3");
  EXPECT_TRUE(head_health.body.empty());
  H2Response head_stream = client.Call("HEAD", "/stocks/ACME/watch");
  EXPECT_EQ(head_stream.status, 405);
  EXPECT_EQ(head_stream.Header("allow"), "GET");
  EXPECT_TRUE(head_stream.body.empty());

  H2Response no_route = client.Call("GET", "/nowhere");
  EXPECT_EQ(no_route.status, 404);
  EXPECT_EQ(no_route.Header("content-type"), "application/json");

  H2Response created = client.Call("POST", "/users", {{"content-type", "application/json"}},
                                   R"({"email":"ada@example.test","display_name":"Ada"})");
  EXPECT_EQ(created.status, 200) << created.body;
  H2Response again = client.Call("POST", "/users", {{"content-type", "application/json"}},
                                 R"({"email":"ada@example.test","display_name":"Ada"})");
  EXPECT_EQ(again.status, 409) << again.body;
  H2Response bad_json = client.Call("POST", "/users", {{"content-type", "application/json"}},
                                    R"({"email":)");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_TRUE(absl::StrContains(bad_json.body, R"("code":3)")) << bad_json.body;

  H2Response unknown_field = client.Call("GET", "/events/evt-3?colour=red");
  EXPECT_EQ(unknown_field.status, 400) << unknown_field.body;

  H2Response health = client.Call("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  H2Response openapi = client.Call("GET", "/openapi.json");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_TRUE(absl::StrContains(openapi.body, R"("/events/{id}")")) << openapi.body.substr(0, 200);
  EXPECT_FALSE(client.connection_closed()) << "every answer left the connection usable";
}

TEST_F(H2cWebTest, NativeGrpcWebAndRestShareOneConnection) {
  H2cClient client(gateway_->port());
  const std::string path = "/switchboard.ticket.v1.TicketService/GetEvent";
  const int32_t native =
      client.Start("POST", path, {{"content-type", "application/grpc"}, {"te", "trailers"}},
                   GrpcFrame(GetEventRequest("evt-1")));
  const int32_t web = client.Start("POST", path, kGrpcWeb, GrpcFrame(GetEventRequest("evt-1")));
  const int32_t rest = client.Start("GET", "/events/evt-1", {});
  ASSERT_TRUE(client.RunUntil([&] {
    return client.response(native).closed && client.response(web).closed &&
           client.response(rest).closed;
  }));
  const H2Response& n = client.response(native);
  EXPECT_EQ(n.Header("content-type"), "application/grpc");
  EXPECT_EQ(n.Trailer("grpc-status"), "0");
  EXPECT_TRUE(absl::StrContains(n.body, "The Protocol Buffers"));

  const H2Response& w = client.response(web);
  EXPECT_EQ(w.status, 200);
  EXPECT_EQ(w.Header("content-type"), "application/grpc-web+proto");
  EXPECT_TRUE(w.trailers.empty()) << "gRPC-Web carries its trailers in the body";
  // The message frame is the native one byte for byte; then the trailer frame.
  const std::string message_frame = n.body;
  ASSERT_GE(w.body.size(), message_frame.size() + 5);
  EXPECT_EQ(w.body.substr(0, message_frame.size()), message_frame);
  EXPECT_EQ(static_cast<uint8_t>(w.body[message_frame.size()]), 0x80);
  EXPECT_TRUE(absl::StrContains(w.body.substr(message_frame.size()), "grpc-status:0\r\n"));

  const H2Response& r = client.response(rest);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StrContains(r.body, R"("name":"The Protocol Buffers")")) << r.body;
}

TEST_F(H2cWebTest, GrpcWebTextModeErrorsAndCors) {
  H2cClient client(gateway_->port());
  const std::string path = "/switchboard.ticket.v1.TicketService/GetEvent";
  H2Response text =
      client.Call("POST", path,
                  {{"content-type", "application/grpc-web-text"}, {"origin", "http://app.test"}},
                  absl::Base64Escape(GrpcFrame(GetEventRequest("evt-2"))));
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(text.Header("content-type"), "application/grpc-web-text+proto");
  EXPECT_EQ(text.Header("access-control-allow-origin"), "http://app.test");
  std::string decoded;
  // Each chunk is padded on its own: decode group by group.
  for (size_t at = 0; at < text.body.size(); at += 4) {
    std::string group;
    ASSERT_TRUE(absl::Base64Unescape(text.body.substr(at, 4), &group)) << text.body;
    decoded += group;
  }
  EXPECT_TRUE(absl::StrContains(decoded, "Deadline Propagation Live")) << decoded;
  EXPECT_TRUE(absl::StrContains(decoded, "grpc-status:0\r\n"));

  // A backend error before any message: trailers-only, the status in the headers.
  H2Response missing = client.Call("POST", path, kGrpcWeb, GrpcFrame(GetEventRequest("evt-404")));
  EXPECT_EQ(missing.status, 200);
  EXPECT_EQ(missing.Header("grpc-status"), "5");
  EXPECT_TRUE(missing.body.empty());

  // Bad input answered by the gateway itself, never reaching a backend.
  H2Response truncated = client.Call("POST", path, kGrpcWeb, GrpcFrame(GetEventRequest("evt-1")).substr(0, 7));
  EXPECT_EQ(truncated.Header("grpc-status"), "3") << truncated.Header("grpc-message");
  H2Response bad_base64 = client.Call(
      "POST", path, {{"content-type", "application/grpc-web-text"}}, "not*base64!");
  EXPECT_EQ(bad_base64.Header("grpc-status"), "3");
  H2Response unknown = client.Call("POST", "/nope.Service/Method", kGrpcWeb, GrpcFrame(""));
  EXPECT_EQ(unknown.Header("grpc-status"), "12");
  H2Response bad_timeout = client.Call(
      "POST", path, {{"content-type", "application/grpc-web+proto"}, {"grpc-timeout", "soon"}},
      GrpcFrame(GetEventRequest("evt-1")));
  EXPECT_EQ(bad_timeout.Header("grpc-status"), "3");

  H2Response preflight = client.Call("OPTIONS", path,
                                     {{"origin", "http://app.test"},
                                      {"access-control-request-method", "POST"},
                                      {"access-control-request-headers", "x-grpc-web,content-type"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.Header("access-control-allow-origin"), "http://app.test");
  H2Response rest = client.Call("GET", "/events/evt-1", {{"origin", "http://app.test"}});
  EXPECT_EQ(rest.Header("access-control-allow-origin"), "http://app.test");
  H2Response other = client.Call("GET", "/events/evt-1", {{"origin", "http://evil.test"}});
  EXPECT_EQ(other.Header("access-control-allow-origin"), "");
  EXPECT_FALSE(client.connection_closed());
}

TEST_F(H2cWebTest, ServerStreamsAsNdjsonAndSseUntilTheClientCancels) {
  H2cClient client(gateway_->port());
  const int32_t ndjson = client.Start("GET", "/stocks/ACME/watch", {});
  const int32_t sse = client.Start("GET", "/stocks/ACME/watch", {{"accept", "text/event-stream"}});
  ASSERT_TRUE(client.RunUntil([&] {
    return Count(client.response(ndjson).body, "\n") >= 3 &&
           Count(client.response(sse).body, "\n\n") >= 3;
  })) << client.response(ndjson).body;
  EXPECT_EQ(client.response(ndjson).Header("content-type"), "application/x-ndjson");
  EXPECT_TRUE(absl::StartsWith(client.response(ndjson).body, R"({"symbol":"ACME")"));
  EXPECT_EQ(client.response(sse).Header("content-type"), "text/event-stream");
  EXPECT_TRUE(absl::StartsWith(client.response(sse).body, R"(data: {"symbol":"ACME")"));
  EXPECT_FALSE(client.response(ndjson).closed) << "flushed message by message, still open";
  client.Cancel(ndjson);
  client.Cancel(sse);
  // Both calls end at once, cancelled upstream, and nothing stays open.
  const std::string metrics = WaitForMetrics(
      {"switchboard_gateway_open_calls 0",
       R"(protocol="rest",method="/switchboard.stock.v1.StockService/WatchStockPrice",status="CANCELLED"} 2)"});
  EXPECT_TRUE(absl::StrContains(metrics, "switchboard_gateway_open_calls 0")) << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, R"(status="CANCELLED"} 2)")) << metrics;
}

TEST_F(H2cWebTest, RawUploadStreamsThroughWithFlowControl) {
  // 6 MiB: more than the client's connection window, the gateway's stream window and
  // limits.max_message_bytes, so it only arrives if it is streamed message by message.
  const std::string data = upload::testing::PseudoRandomBytes(6 << 20, 7);
  H2cClient client(gateway_->port());
  H2Response stored = client.Call("POST", "/uploads?file_name=h2.bin",
                                  {{"content-type", "application/octet-stream"}}, data,
                                  std::chrono::seconds(30));
  EXPECT_EQ(stored.status, 200) << stored.body;
  EXPECT_TRUE(absl::StrContains(stored.body, absl::StrCat(R"("totalBytes":")", data.size())))
      << stored.body;
  EXPECT_TRUE(absl::StrContains(stored.body, upload::testing::Sha256Of(data))) << stored.body;

  H2Response ndjson = client.Call(
      "POST", "/uploads", {{"content-type", "application/x-ndjson"}},
      "{\"file_name\":\"n.txt\",\"chunk_number\":1,\"data\":\"aGVsbG8=\"}\nnot json\n");
  EXPECT_EQ(ndjson.status, 400) << ndjson.body;
  EXPECT_TRUE(absl::StrContains(ndjson.body, "line 2")) << ndjson.body;
}

TEST_F(H2cWebTest, LimitsAndStreamRoutesWithoutWebSocket) {
  StartGateway([](GatewayConfig& config) { config.limits.max_message_bytes = 1024; });
  H2cClient client(gateway_->port());
  H2Response large =
      client.Call("POST", "/users", {{"content-type", "application/json"}},
                  R"({"email":")" + std::string(4096, 'u') + R"("})");
  EXPECT_EQ(large.status, 413) << large.body;
  H2Response chat = client.Call("GET", "/chat/lobby", {});
  EXPECT_EQ(chat.status, 426) << chat.body;
  EXPECT_EQ(chat.Header("upgrade"), "") << "connection-specific headers are not HTTP/2";
  EXPECT_FALSE(client.connection_closed());
}

TEST_F(H2cWebTest, BufferedBodiesAreBoundedInTimeAndPerConnection) {
  StartGateway([](GatewayConfig& config) {
    config.limits.slow_client_timeout = std::chrono::milliseconds(400);
    config.limits.connection_window_bytes = 64 * 1024;
  });
  H2cClient client(gateway_->port());
  const testing::HeaderList json = {{"content-type", "application/json"}};
  // A body that never ends: 408 after the timeout, not a stream held for good.
  const auto start = Clock::now();
  const int32_t stalled = client.Start("POST", "/users", json, R"({"email":)", /*open=*/true);
  ASSERT_TRUE(client.RunUntil([&] { return client.response(stalled).closed; }));
  EXPECT_EQ(client.response(stalled).status, 408) << client.response(stalled).body;
  // The answer, then (the client still not done after another timeout) RST_STREAM NO_ERROR.
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(800));
  EXPECT_EQ(client.response(stalled).error_code, static_cast<uint32_t>(NGHTTP2_NO_ERROR));

  // Two bodies of 40 KiB each, more than the connection's 64 KiB together: the one that
  // passes the bound is refused (429), the other is answered, and the connection carries on.
  const std::string padding(40 * 1024, ' ');
  const int32_t first = client.Start("POST", "/users", json, "{" + padding, /*open=*/true);
  const int32_t second = client.Start("POST", "/users", json, "{" + padding, /*open=*/true);
  ASSERT_TRUE(client.RunUntil([&] { return client.response(second).status != 0; }));
  EXPECT_EQ(client.response(second).status, 429) << client.response(second).body;
  EXPECT_TRUE(absl::StrContains(client.response(second).body, "limits.connection_window_bytes"));
  client.Send(first, R"("email":"one@example.test","display_name":"One"})", true);
  ASSERT_TRUE(client.RunUntil([&] { return client.response(first).closed; }));
  EXPECT_EQ(client.response(first).status, 200) << client.response(first).body;
  const int32_t third = client.Start("POST", "/users", json,
                                     "{" + padding + R"("email":"three@example.test","display_name":"Three"})");
  ASSERT_TRUE(client.RunUntil([&] { return client.response(third).closed; }));
  EXPECT_EQ(client.response(third).status, 200) << "the bound is freed as bodies complete";
}

TEST_F(H2cWebTest, DeadlinesAndHangUpsReachTheBackendCall) {
  // Fraud waits 5 s (its `delay`) before a verdict: a check that ends sooner at the backend
  // was ended by the deadline or the hang-up the gateway passed on, within this bound.
  constexpr auto kBackendEndsWithin = std::chrono::seconds(1);
  constexpr auto kPromptly = std::chrono::seconds(3);
  H2cClient client(gateway_->port());
  const std::string path = "/switchboard.fraud.v1.FraudService/Check";
  testing::HeaderList with_timeout = kGrpcWeb;
  with_timeout.emplace_back("grpc-timeout", "200m");
  const auto start = Clock::now();
  H2Response late = client.Call("POST", path, with_timeout, GrpcFrame(kCheckRequest));
  const auto took = Clock::now() - start;
  EXPECT_EQ(late.Header("grpc-status"), "4") << late.Header("grpc-message");
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::seconds(3)) << "the backend waits 5 s";
  // The backend's own view. The gateway forwards the budget (grpc-timeout, and the exact
  // x-deadline-unix-us fraud's CallBudget keeps), so fraud works to the same deadline: its
  // alarm wakes then and, should the gateway's reset come first, the budget has passed all
  // the same. Either way fraud ends the check DEADLINE_EXCEEDED; CANCELLED would mean it
  // never knew the deadline and only the gateway's reset stopped it.
  const auto deadline_checks = fraud_calls_.WaitForFinished(path, 1, kBackendEndsWithin);
  ASSERT_EQ(deadline_checks.size(), 1u) << "the backend still waits past the deadline";
  EXPECT_EQ(deadline_checks[0].status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << deadline_checks[0].status.error_message();
  EXPECT_LT(deadline_checks[0].finished_at - start, kBackendEndsWithin);

  // Budgets that cannot cover a round trip are answered at once, never forwarded: the backend
  // would only see a call whose deadline had passed.
  for (const std::string timeout : {"0n", "1n", "50u"}) {
    testing::HeaderList headers = kGrpcWeb;
    headers.emplace_back("grpc-timeout", timeout);
    H2Response expired = client.Call("POST", path, headers, GrpcFrame(kCheckRequest));
    EXPECT_EQ(expired.Header("grpc-status"), "4") << timeout;
    EXPECT_TRUE(absl::StrContains(expired.Header("grpc-message"), "already passed"))
        << expired.Header("grpc-message");
    H2Response rest_expired = client.Call("GET", "/events/evt-1", {{"grpc-timeout", timeout}});
    EXPECT_EQ(rest_expired.status, 504) << timeout;
  }
  const std::string forwarded = WaitForMetrics({"switchboard_gateway_upstream_requests_total"});
  const std::string fraud_line = absl::StrCat(
      R"(switchboard_gateway_upstream_requests_total{service="switchboard.fraud.v1.FraudService",backend=")",
      fraud_.address(), R"("} 1)");
  EXPECT_TRUE(absl::StrContains(forwarded, fraud_line)) << "only the 200m call: " << forwarded;
  EXPECT_EQ(fraud_calls_.Calls(path).size(), 1u) << "only the 200m call reached the backend";

  const int32_t left = client.Start("POST", path, kGrpcWeb, GrpcFrame(kCheckRequest));
  // The client hangs up once the backend has the check under way.
  ASSERT_TRUE(client.RunUntil([&] { return fraud_calls_.Started(path) >= 2; }, kPromptly))
      << "the second check never reached the backend";
  const auto hung_up = Clock::now();
  client.Cancel(left);
  // No grpc-timeout this time (the route's default of 5 s, no sooner than fraud's delay):
  // within the bound only the reset the gateway sends upstream can end the check, and fraud
  // reports a caller that went away as CANCELLED.
  const auto checks = fraud_calls_.WaitForFinished(path, 2, kBackendEndsWithin);
  ASSERT_EQ(checks.size(), 2u) << "the hang-up did not reach the backend";
  EXPECT_EQ(checks[1].status.error_code(), grpc::StatusCode::CANCELLED)
      << checks[1].status.error_message();
  EXPECT_TRUE(checks[1].cancelled);
  EXPECT_LT(checks[1].finished_at - hung_up, kBackendEndsWithin);
  const std::string cancelled =
      R"(protocol="grpc-web",method="/switchboard.fraud.v1.FraudService/Check",status="CANCELLED"} 1)";
  const std::string metrics =
      WaitForMetrics({cancelled, "switchboard_gateway_open_calls 0"}, std::chrono::seconds(3));
  EXPECT_TRUE(absl::StrContains(metrics, cancelled)) << metrics;
  EXPECT_TRUE(absl::StrContains(metrics, "switchboard_gateway_open_calls 0")) << metrics;
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << "noticed before the backend answered";
}

TEST_F(H2cWebTest, AClientThatNeverReadsAStreamIsCancelled) {
  StartGateway([](GatewayConfig& config) {
    config.limits.slow_client_timeout = std::chrono::milliseconds(500);
  });
  // The client acknowledges nothing: after its first 16 KiB window the gateway must hold
  // the stream's lines, and gives up on the client after the timeout.
  H2cClient client(gateway_->port(), 16 * 1024, /*auto_window=*/false);
  const auto start = Clock::now();
  const int32_t id = client.Start("GET", "/stocks/ACME/watch", {});
  ASSERT_TRUE(client.RunUntil([&] { return client.response(id).closed; }, std::chrono::seconds(10)));
  EXPECT_EQ(client.response(id).error_code, static_cast<uint32_t>(NGHTTP2_CANCEL));
  EXPECT_LE(client.response(id).body.size(), 16u * 1024);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(500));
  const std::string metrics = WaitForMetrics(
      {R"(switchboard_gateway_slow_clients_total{protocol="rest")", "switchboard_gateway_open_calls 0"});
  EXPECT_TRUE(absl::StrContains(metrics, R"(switchboard_gateway_slow_clients_total{protocol="rest")"))
      << metrics;
}

}  // namespace
}  // namespace switchboard::gateway
