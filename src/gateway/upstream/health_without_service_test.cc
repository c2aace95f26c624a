// The gateway in front of backends that have no grpc.health.v1.Health: a grpc++ server without
// it (UNIMPLEMENTED) and a plain HTTP/2 server that answers 404 to every path. Both are served
// (gRFC A17: no health service means no health checking), and neither is asked again.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gateway/gateway_server.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/ticket/ticket_service.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace switchboard::gateway {
namespace {

namespace http = boost::beast::http;

// Several health-check intervals (500 ms by default): long enough for two failed checks to
// have taken a backend out, had they counted as failures.
constexpr auto kSeveralIntervals = std::chrono::milliseconds(2000);
constexpr auto kServerStartTimeout = std::chrono::seconds(10);
constexpr char kHealthPath[] = "/grpc.health.v1.Health/Check";

struct HttpAnswer {
  int status = 0;
  std::string body;
};

HttpAnswer Get(uint16_t port, const std::string& target) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return {static_cast<int>(response.result_int()), response.body()};
}

// Calls GetEvent through the gateway for `duration`; every answer must come from the backend.
void ExpectServedThroughout(uint16_t port, std::chrono::milliseconds duration, int want_status) {
  const auto end = std::chrono::steady_clock::now() + duration;
  int calls = 0;
  while (std::chrono::steady_clock::now() < end) {
    HttpAnswer answer = Get(port, "/events/evt-1");
    ASSERT_EQ(answer.status, want_status) << "call " << calls << ": " << answer.body;
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(calls, 10);
}

// Answers every method the server does not register UNIMPLEMENTED, as grpc++ does, and counts
// how often each was asked for.
class UnknownMethodCounter : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++calls_[context->method()];
    }
    class Unimplemented : public grpc::ServerGenericBidiReactor {
     public:
      Unimplemented() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "")); }
      void OnDone() override { delete this; }
    };
    return new Unimplemented;
  }
  int Calls(const std::string& method) {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_[method];
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> calls_;
};

TEST(HealthWithoutService, AGrpcServerWithoutHealthIsServedAndNotCheckedAgain) {
  // A grpc++ server with the ticket service only: no default health service.
  grpc::EnableDefaultHealthCheckService(false);
  UnknownMethodCounter unknown;
  switchboard::testing::TempDir dir;
  common::ServiceOptions options;
  options.name = "ticket";
  options.data_dir = dir.path();
  options.settings = YAML::Load("{}");
  auto ticket = ticket::MakeTicketService(options);
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : (*ticket)->GrpcServices()) builder.RegisterService(service);
  builder.RegisterCallbackGenericService(&unknown);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(server->GetHealthCheckService(), nullptr);

  auto gateway = GatewayServer::Start(TestGatewayConfig(
      {{"switchboard.ticket.v1.TicketService", absl::StrCat("127.0.0.1:", port)}}));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  ExpectServedThroughout((*gateway)->port(), kSeveralIntervals, 200);
  (*gateway)->Stop();
  // Each worker (event loop) checks over its own connection.
  EXPECT_EQ(unknown.Calls(kHealthPath), TestGatewayWorkers())
      << "one check per worker, then none while its connection lasts";
  server->Shutdown(std::chrono::system_clock::now());
}

// An HTTP/2 server (Node's http2, cleartext with prior knowledge) that answers 404 to every
// path and prints each path it was asked for.
constexpr char kNotFoundServer[] = R"(
const http2 = require('http2');
const server = http2.createServer();
server.on('stream', (stream, headers) => {
  console.log('path ' + headers[':path']);
  stream.respond({':status': 404, 'content-type': 'text/plain'});
  stream.end('not found');
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
)";

// The node binary, wherever PATH finds it (Debian's, or a vendor's in /usr/local/bin).
std::string NodeBinary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(start, end - start) + "/node";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "node";
}

int CountLines(const std::string& text, const std::string& line) {
  int count = 0;
  for (size_t at = text.find(line); at != std::string::npos; at = text.find(line, at + 1)) {
    ++count;
  }
  return count;
}

TEST(HealthWithoutService, AnHttp404BackendCountsAsHavingNoHealthService) {
  switchboard::testing::TempDir dir;
  const std::string script = dir.path() + "/not_found_server.js";
  std::ofstream(script) << kNotFoundServer;
  switchboard::testing::ChildProcess node({NodeBinary(), script}, dir.path() + "/node.log");
  int port = 0;
  const auto deadline = std::chrono::steady_clock::now() + kServerStartTimeout;
  while (port == 0 && std::chrono::steady_clock::now() < deadline) {
    const std::string out = node.Output();
    const size_t at = out.find("listening ");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      port = std::stoi(out.substr(at + 10));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ASSERT_NE(port, 0) << "node did not start: " << node.Output();

  auto gateway = GatewayServer::Start(TestGatewayConfig(
      {{"switchboard.ticket.v1.TicketService", absl::StrCat("127.0.0.1:", port)}}));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  // Served: every call reaches the backend, whose 404 (no grpc-status) the REST side answers
  // as a backend error, never the gateway's own 503 "no healthy backend".
  const auto end = std::chrono::steady_clock::now() + kSeveralIntervals;
  int calls = 0;
  while (std::chrono::steady_clock::now() < end) {
    HttpAnswer answer = Get((*gateway)->port(), "/events/evt-1");
    ASSERT_NE(answer.status, 503) << "call " << calls << ": " << answer.body;
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (*gateway)->Stop();
  const std::string seen = node.Output();
  EXPECT_EQ(CountLines(seen, absl::StrCat("path ", kHealthPath, "\n")), TestGatewayWorkers())
      << "one check per worker, then none while its connection lasts:\n"
      << seen;
  EXPECT_EQ(CountLines(seen, "path /switchboard.ticket.v1.TicketService/GetEvent\n"), calls)
      << seen;
}

}  // namespace
}  // namespace switchboard::gateway
