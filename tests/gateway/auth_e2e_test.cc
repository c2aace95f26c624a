// JWT authentication at the real `switchboard gateway` process, in front of real ticket and
// chat services: REST 401 with WWW-Authenticate, gRPC UNAUTHENTICATED, the verified `sub`
// reaching the backend as x-user-id while a client's own x-user-id never does, and a token in
// the query of a WebSocket upgrade (close code 4016 without one).
#include <arpa/inet.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/server_interceptor.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <csignal>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/auth/jwt_test_keys.h"
#include "gateway/codec/headers.h"
#include "gateway/testing/gateway_process.h"
#include "gateway/testing/gateway_test_support.h"
#include "gateway/testing/h2c_test_client.h"
#include "gateway/testing/http1_get.h"
#include "services/chat/chat_service.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
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

constexpr char kIssuer[] = "https://issuer.test";
constexpr char kAudience[] = "switchboard";
constexpr char kGetEvent[] = "/switchboard.ticket.v1.TicketService/GetEvent";
constexpr char kListEvents[] = "/switchboard.ticket.v1.TicketService/ListEvents";
constexpr char kChat[] = "/switchboard.chat.v1.ChatService/Chat";
constexpr auto kFrameWithin = milliseconds(5000);

int64_t NowUnix() { return static_cast<int64_t>(std::time(nullptr)); }

// The x-user-id values each call of a method arrived with, as the backend's server saw them.
class MetadataLog {
 public:
  std::vector<std::vector<std::string>> UserIds(const std::string& method) {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_[method];
  }
  int Calls(const std::string& method) {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(calls_[method].size());
  }
  void Record(const std::string& method, std::vector<std::string> values) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_[method].push_back(std::move(values));
  }
  common::HostOptions Options();

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<std::vector<std::string>>> calls_;
};

class MetadataInterceptor : public grpc::experimental::Interceptor {
 public:
  MetadataInterceptor(grpc::experimental::ServerRpcInfo* info, MetadataLog* log)
      : method_(info->method() != nullptr ? info->method() : ""), log_(log) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using Point = grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Point::POST_RECV_INITIAL_METADATA)) {
      std::vector<std::string> values;
      for (const auto& [name, value] : *methods->GetRecvInitialMetadata()) {
        if (std::string(name.data(), name.size()) == "x-user-id") {
          values.emplace_back(value.data(), value.size());
        }
      }
      log_->Record(method_, std::move(values));
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  MetadataLog* log_;
};

class MetadataInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetadataInterceptorFactory(MetadataLog* log) : log_(log) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetadataInterceptor(info, log_);
  }

 private:
  MetadataLog* log_;
};

common::HostOptions MetadataLog::Options() {
  common::HostOptions options;
  options.add_interceptors = [this](auto& interceptors) {
    interceptors.push_back(std::make_unique<MetadataInterceptorFactory>(this));
  };
  return options;
}

using switchboard::gateway::testing::HttpGet;
using switchboard::gateway::testing::HttpResponse;

class AuthE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string jwks = dir_.path() + "/jwks.json";
    std::ofstream(jwks) << auth::testing::Jwks({&rsa_, &ed_});
    port_ = switchboard::testing::FreePort();
    const std::string config = dir_.path() + "/gateway.yaml";
    std::ofstream(config) << "listen: 127.0.0.1:" << port_ << "\nworkers: " << TestGatewayWorkers()
                          << "\ndescriptors: [" SB_DESCRIPTOR_SET "]\n"
                          << "auth:\n  jwt:\n"
                          << "    - {name: main, issuer: '" << kIssuer << "', audiences: ["
                          << kAudience << "], jwks_file: " << jwks
                          << ", forward_claims: {sub: x-user-id}}\n"
                          << "    - {name: browser, issuer: '" << kIssuer << "', audiences: ["
                          << kAudience << "], jwks_file: " << jwks
                          << ", from_query: access_token, forward_claims: {sub: x-user-id}}\n"
                          << "services:\n"
                          << "  switchboard.ticket.v1.TicketService:\n"
                          << "    backends: [" << ticket_.address() << "]\n"
                          << "    auth: required\n"
                          << "    methods: {ListEvents: {auth: none}}\n"
                          << "  switchboard.chat.v1.ChatService:\n"
                          << "    backends: [" << chat_.address() << "]\n"
                          << "    auth: required\n";
    gateway_ = std::make_unique<GatewayProcess>(config, dir_.path() + "/gateway.log");
    ASSERT_NE(gateway_->Output().find("gateway listening"), std::string::npos)
        << gateway_->Output();
  }

  std::string Token(const std::string& subject, const TestKey* key = nullptr) {
    return (key != nullptr ? *key : rsa_)
        .Sign(Claims(kIssuer, kAudience, subject, NowUnix() + 300));
  }
  grpc::Status GetEvent(const std::string& token, const Headers& extra = {}) {
    auto stub = ticket::v1::TicketService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(5));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    for (const auto& [name, value] : extra) context.AddMetadata(name, value);
    ticket::v1::GetEventRequest request;
    request.set_id("evt-1");
    ticket::v1::Event event;
    return stub->GetEvent(&context, request, &event);
  }

  TestKey rsa_{Algorithm::kRs256, "rsa-1"};
  TestKey ed_{Algorithm::kEdDsa, "ed-1"};
  MetadataLog log_;
  switchboard::testing::TestServer ticket_{ticket::MakeTicketService, "{}", log_.Options()};
  switchboard::testing::TestServer chat_{chat::MakeChatService, "{}", log_.Options()};
  switchboard::testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(AuthE2eTest, RestWithoutAValidTokenIs401WithWwwAuthenticate) {
  const HttpResponse missing = HttpGet(port_, "/events/evt-1");
  EXPECT_EQ(missing.status, 401) << missing.body;
  EXPECT_EQ(missing.Header("www-authenticate"),
            "Bearer error=\"invalid_token\", error_description=\"no token: send Authorization: "
            "Bearer <JWT>\"");
  EXPECT_NE(missing.body.find("\"code\":16"), std::string::npos) << missing.body;

  const std::string expired = rsa_.Sign(Claims(kIssuer, kAudience, "alice", NowUnix() - 3600));
  const HttpResponse late =
      HttpGet(port_, "/events/evt-1", {{"authorization", "Bearer " + expired}});
  EXPECT_EQ(late.status, 401) << late.body;
  EXPECT_EQ(late.Header("www-authenticate"),
            "Bearer error=\"invalid_token\", error_description=\"the token has expired\"");
  const TestKey stranger(Algorithm::kRs256, "rsa-1");
  const HttpResponse forged =
      HttpGet(port_, "/events/evt-1", {{"authorization", "Bearer " + Token("alice", &stranger)}});
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_NE(forged.body.find("the signature does not verify"), std::string::npos) << forged.body;
  EXPECT_EQ(log_.Calls(kGetEvent), 0);  // no refused call reached the backend

  // The same over h2c.
  gateway::testing::H2cClient h2(static_cast<uint16_t>(port_));
  const gateway::testing::H2Response h2_missing = h2.Call("GET", "/events/evt-1");
  EXPECT_EQ(h2_missing.status, 401) << h2_missing.body;
  EXPECT_EQ(h2_missing.Header("www-authenticate"), missing.Header("www-authenticate"));
  const gateway::testing::H2Response h2_ok =
      h2.Call("GET", "/events/evt-1", {{"authorization", "Bearer " + Token("alice")}});
  EXPECT_EQ(h2_ok.status, 200) << h2_ok.body;
  EXPECT_EQ(log_.Calls(kGetEvent), 1);

  const HttpResponse ok =
      HttpGet(port_, "/events/evt-1", {{"authorization", "Bearer " + Token("alice")}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.headers.count("www-authenticate"), 0u);
  // The token is never written to the log.
  EXPECT_EQ(gateway_->Output().find(expired.substr(expired.rfind('.') + 1)), std::string::npos);
}

TEST_F(AuthE2eTest, GrpcWithoutAValidTokenIsUnauthenticated) {
  const grpc::Status missing = GetEvent("");
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED) << missing.error_message();
  EXPECT_NE(missing.error_message().find("no token"), std::string::npos);
  const std::string wrong_audience = rsa_.Sign(Claims(kIssuer, "billing", "alice", NowUnix() + 60));
  const grpc::Status refused = GetEvent(wrong_audience);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(refused.error_message().find("audience"), std::string::npos) << refused.error_message();
  const grpc::Status none = GetEvent(
      absl::StrCat(auth::testing::Base64Url(R"({"alg":"none"})"), ".",
                   auth::testing::Base64Url(Claims(kIssuer, kAudience, "a", NowUnix() + 60)), "."));
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED) << none.error_message();
  EXPECT_EQ(log_.Calls(kGetEvent), 0);
  const grpc::Status ok = GetEvent(Token("alice", &ed_));
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(log_.Calls(kGetEvent), 1);
  // Counted by reason.
  const HttpResponse metrics = HttpGet(port_, "/metrics");
  for (const char* reason : {"missing", "wrong_audience", "bad_algorithm"}) {
    EXPECT_NE(metrics.body.find(absl::StrCat("switchboard_gateway_auth_rejected_total{reason=\"",
                                             reason, "\"} 1")),
              std::string::npos)
        << reason << "\n"
        << metrics.body;
  }
}

TEST_F(AuthE2eTest, TheVerifiedSubjectReachesTheBackendAndAForgedOneNever) {
  const std::string token = Token("alice");
  ASSERT_TRUE(GetEvent(token, {{"x-user-id", "mallory"}}).ok());
  const HttpResponse rest = HttpGet(
      port_, "/events/evt-1", {{"authorization", "Bearer " + token}, {"X-User-Id", "mallory"}});
  ASSERT_EQ(rest.status, 200) << rest.body;
  const auto calls = log_.UserIds(kGetEvent);
  ASSERT_EQ(calls.size(), 2u);
  for (const auto& values : calls) EXPECT_EQ(values, std::vector<std::string>{"alice"});
  // A method without auth: the client's copy is dropped all the same, and nothing is added.
  const HttpResponse open = HttpGet(port_, "/events", {{"x-user-id", "mallory"}});
  ASSERT_EQ(open.status, 200) << open.body;
  const auto listed = log_.UserIds(kListEvents);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0].empty()) << listed[0][0];
}

using WebSocket = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;

// Runs `io` until `done` or `limit`; false when the limit came first (the socket is closed).
bool RunWithin(boost::asio::io_context& io, WebSocket& ws, const bool& done,
               std::chrono::milliseconds limit) {
  io.restart();
  io.run_for(limit);
  if (done) return true;
  boost::system::error_code ignored;
  ws.next_layer().close(ignored);
  io.restart();
  io.run();
  return false;
}

// Opens a WebSocket to `target`; the handshake's error (none when upgraded).
boost::system::error_code Open(boost::asio::io_context& io, WebSocket& ws, int port,
                               const std::string& target) {
  boost::system::error_code result = boost::asio::error::timed_out;
  ws.next_layer().connect(
      {boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  bool done = false;
  ws.async_handshake("127.0.0.1", target, [&](const boost::system::error_code& error) {
    result = error;
    done = true;
  });
  RunWithin(io, ws, done, kFrameWithin);
  return result;
}

boost::system::error_code Read(boost::asio::io_context& io, WebSocket& ws, std::string* text) {
  boost::beast::flat_buffer buffer;
  boost::system::error_code result = boost::asio::error::timed_out;
  bool done = false;
  ws.async_read(buffer, [&](const boost::system::error_code& error, size_t) {
    result = error;
    done = true;
  });
  RunWithin(io, ws, done, kFrameWithin);
  *text = boost::beast::buffers_to_string(buffer.data());
  return result;
}

TEST_F(AuthE2eTest, WebSocketTakesItsTokenFromTheQuery) {
  boost::asio::io_context io;
  {
    WebSocket ws(io);
    ASSERT_FALSE(Open(io, ws, port_, "/chat/lobby?access_token=" + Token("alice")));
    ws.text(true);
    ws.write(boost::asio::buffer(std::string(R"({"userId":"alice","kind":"KIND_JOIN"})")));
    std::string text;
    ASSERT_FALSE(Read(io, ws, &text)) << text;
    EXPECT_NE(text.find("alice"), std::string::npos) << text;
    const auto calls = log_.UserIds(kChat);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0], std::vector<std::string>{"alice"});
  }
  {
    // Upgraded, then closed with 4000 + UNAUTHENTICATED before any backend call.
    WebSocket ws(io);
    ASSERT_FALSE(Open(io, ws, port_, "/chat/lobby"));
    std::string text;
    EXPECT_EQ(Read(io, ws, &text), boost::beast::websocket::error::closed);
    EXPECT_EQ(ws.reason().code, 4016);
    EXPECT_NE(std::string(ws.reason().reason.c_str()).find("no token"), std::string::npos);
  }
  {
    WebSocket ws(io);
    ASSERT_FALSE(Open(io, ws, port_, "/chat/lobby?access_token=not.a.jwt"));
    std::string text;
    EXPECT_EQ(Read(io, ws, &text), boost::beast::websocket::error::closed);
    EXPECT_EQ(ws.reason().code, 4016);
  }
  // A query with anything else than the token is still refused before the upgrade.
  WebSocket ws(io);
  EXPECT_TRUE(Open(io, ws, port_, "/chat/lobby?access_token=" + Token("alice") + "&x=1"));
  EXPECT_EQ(log_.Calls(kChat), 1);
}

}  // namespace
}  // namespace switchboard::gateway
