// A gateway with two workers (event loops): connections dealt to them in turn, one /metrics
// page summing both whichever answers it, a reload applied on both or on neither, and a stop
// that drains both within the one grace period. Real services on loopback, grpc++ clients each
// on its own connection (so the n-th connection the gateway accepts is the n-th made here).
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/gateway_server.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/stock/stock_service.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/tcp_connections.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr char kTicket[] = "switchboard.ticket.v1.TicketService";
constexpr char kStock[] = "switchboard.stock.v1.StockService";
constexpr int kWorkers = 2;
constexpr auto kCallDeadline = seconds(5);
constexpr auto kPollInterval = milliseconds(10);
// How long a /metrics answer may take (an HTTP read timeout, so a stuck worker shows as "").
constexpr timeval kHttpReadTimeout{2, 0};
constexpr size_t kHttpReadChunk = 8192;

GatewayConfig TwoWorkers(const std::map<std::string, std::string>& routes) {
  GatewayConfig config = TestGatewayConfig(routes);
  config.workers = kWorkers;
  // No health checks: the backend connections a test counts are the ones calls made.
  for (auto& [name, route] : config.services) route.health_check.enabled = false;
  return config;
}

// A channel with its own HTTP/2 connection (grpc++ would otherwise share one between
// channels to the same address).
std::shared_ptr<grpc::Channel> OwnConnection(int port) {
  static std::atomic<int> counter{0};
  grpc::ChannelArguments args;
  args.SetInt("switchboard.workers_test_channel", counter++);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(), args);
}

grpc::Status GetEvent(ticket::v1::TicketService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  ticket::v1::GetEventRequest request;
  request.set_id("evt-1");
  ticket::v1::Event event;
  return stub.GetEvent(&context, request, &event);
}

// `calls` GetEvent calls on `channel`, one after the other; the number that failed.
int Calls(const std::shared_ptr<grpc::Channel>& channel, int calls) {
  auto stub = ticket::v1::TicketService::NewStub(channel);
  int failed = 0;
  for (int i = 0; i < calls; ++i) failed += GetEvent(*stub).ok() ? 0 : 1;
  return failed;
}

// GET `path` over a new HTTP/1.1 connection; "" when the gateway does not answer in time.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &kHttpReadTimeout, sizeof(kHttpReadTimeout));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[kHttpReadChunk];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

std::string GetEventsLine(int count) {
  return absl::StrCat("switchboard_gateway_calls_total{protocol=\"grpc\",method=\"/", kTicket,
                      "/GetEvent\",status=\"OK\"} ", count, "\n");
}

std::string RequestsLine(const std::string& service, const std::string& backend, int count) {
  return absl::StrCat("switchboard_gateway_upstream_requests_total{service=\"", service,
                      "\",backend=\"", backend, "\"} ", count, "\n");
}

TEST(GatewayWorkers, ConnectionsAreDealtInTurnAndMetricsSumEveryWorker) {
  constexpr int kCallsOnFirst = 3;
  constexpr int kCallsOnSecond = 5;
  testing::TestServer ticket{ticket::MakeTicketService};
  auto gateway = GatewayServer::Start(TwoWorkers({{kTicket, ticket.address()}}));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const int port = (*gateway)->port();
  ASSERT_EQ((*gateway)->workers(), kWorkers);
  // Connection 0 goes to worker 0, connection 1 to worker 1: each worker opens its own
  // backend connection for its calls, so the backend sees two. One worker taking both
  // client connections would have sent every call over one.
  ASSERT_EQ(Calls(OwnConnection(port), kCallsOnFirst), 0);
  ASSERT_EQ(Calls(OwnConnection(port), kCallsOnSecond), 0);
  EXPECT_EQ(testing::EstablishedConnectionsTo(std::stoi(
                ticket.address().substr(ticket.address().rfind(':') + 1))),
            kWorkers);
  // Connections 2 and 3: one page from each worker, each with both workers' calls.
  for (int page = 0; page < kWorkers; ++page) {
    const std::string metrics = HttpGet(port, "/metrics");
    EXPECT_TRUE(absl::StrContains(metrics, GetEventsLine(kCallsOnFirst + kCallsOnSecond)))
        << "page " << page << ":\n"
        << metrics;
    EXPECT_TRUE(absl::StrContains(
        metrics, RequestsLine(kTicket, ticket.address(), kCallsOnFirst + kCallsOnSecond)))
        << "page " << page << ":\n"
        << metrics;
    EXPECT_TRUE(absl::StrContains(metrics, "switchboard_gateway_open_calls 0\n")) << metrics;
    // A 0/1 gauge is the share of workers for which it holds: both see the backend healthy.
    EXPECT_TRUE(absl::StrContains(
        metrics, absl::StrCat("switchboard_gateway_upstream_healthy{service=\"", kTicket,
                              "\",backend=\"", ticket.address(), "\"} 1\n")))
        << metrics;
  }
}

TEST(GatewayWorkers, BothWorkersAnswerMetricsAtOnceUnderLoad) {
  constexpr int kReaders = 8;
  constexpr int kPagesEach = 200;
  testing::TestServer ticket{ticket::MakeTicketService};
  auto gateway = GatewayServer::Start(TwoWorkers({{kTicket, ticket.address()}}));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const int port = (*gateway)->port();
  std::atomic<bool> stop{false};
  std::atomic<int> failed_calls{0};
  // Calls on both workers while the pages are rendered from both.
  std::vector<std::thread> load;
  for (int i = 0; i < kWorkers; ++i) {
    load.emplace_back([&, channel = OwnConnection(port)] {
      auto stub = ticket::v1::TicketService::NewStub(channel);
      while (!stop) failed_calls += GetEvent(*stub).ok() ? 0 : 1;
    });
  }
  std::atomic<int> answered{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < kPagesEach; ++i) {
        if (absl::StrContains(HttpGet(port, "/metrics"), "switchboard_gateway_open_calls ")) {
          ++answered;
        }
      }
    });
  }
  for (auto& reader : readers) reader.join();
  stop = true;
  for (auto& thread : load) thread.join();
  EXPECT_EQ(answered, kReaders * kPagesEach)
      << "a page was not answered within " << kHttpReadTimeout.tv_sec << " s";
  // Loops stuck on each other never finish a stop: left to the end of the process instead of
  // hanging the test.
  if (answered != kReaders * kPagesEach) (void)gateway->release();
  EXPECT_EQ(failed_calls, 0);
}

TEST(GatewayWorkers, ReloadReachesEveryWorkerAndABadOneNone) {
  constexpr int kCalls = 4;
  testing::TestServer a{ticket::MakeTicketService};
  testing::TestServer b{ticket::MakeTicketService};
  GatewayConfig config = TwoWorkers({{kTicket, a.address()}});
  auto gateway = GatewayServer::Start(config);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const int port = (*gateway)->port();
  // One client connection on each worker, made in that order.
  auto first = OwnConnection(port);
  ASSERT_EQ(Calls(first, 1), 0);
  auto second = OwnConnection(port);
  ASSERT_EQ(Calls(second, 1), 0);

  config.services[kTicket].backends = {*ParseBackend(b.address())};
  ASSERT_TRUE((*gateway)->Reload(config).ok());
  // Both workers route to b now: calls on either connection reach it and none reaches a.
  ASSERT_EQ(Calls(first, kCalls), 0);
  ASSERT_EQ(Calls(second, kCalls), 0);
  std::string metrics = HttpGet(port, "/metrics");
  EXPECT_TRUE(absl::StrContains(metrics, RequestsLine(kTicket, b.address(), 2 * kCalls)))
      << metrics;
  EXPECT_FALSE(absl::StrContains(metrics, a.address())) << "a left, its calls done:\n" << metrics;

  // Refused as a whole: a good backend change beside a bad CORS origin changes no worker.
  GatewayConfig bad = config;
  bad.services[kTicket].backends = {*ParseBackend(a.address())};
  bad.cors_allow_origins = {"not an origin"};
  const absl::Status refused = (*gateway)->Reload(bad);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "cors")) << refused;
  GatewayConfig more_workers = config;
  more_workers.workers = kWorkers + 1;
  const absl::Status restart = (*gateway)->Reload(more_workers);
  EXPECT_EQ(restart.code(), absl::StatusCode::kFailedPrecondition) << restart;
  EXPECT_EQ(restart.message(), "workers: changing 2 to 3 needs a restart");
  ASSERT_EQ(Calls(first, kCalls), 0);
  ASSERT_EQ(Calls(second, kCalls), 0);
  metrics = HttpGet(port, "/metrics");
  EXPECT_TRUE(absl::StrContains(metrics, RequestsLine(kTicket, b.address(), 4 * kCalls)))
      << metrics;
  EXPECT_FALSE(absl::StrContains(metrics, a.address())) << metrics;
}

TEST(GatewayWorkers, StopDrainsEveryWorkerWithinOneGrace) {
  constexpr auto kGrace = milliseconds(1000);
  // Steps one after the other would end the second worker's stream a whole grace later.
  constexpr auto kEndsBefore = 2 * kGrace;
  constexpr int kMinUpdatesWhileDraining = 5;
  testing::TestServer stock{stock::MakeStockService, "{tick_interval: 20ms}"};
  GatewayConfig config = TwoWorkers({{kStock, stock.address()}});
  config.limits.shutdown_grace = kGrace;
  auto started = GatewayServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<GatewayServer> gateway = std::move(*started);
  struct Watch {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<stock::v1::StockService::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<stock::v1::PriceUpdate>> reader;
  };
  Watch watches[kWorkers];
  stock::v1::StockRequest request;
  request.set_symbol("ACME");
  for (Watch& watch : watches) {
    // Each stream's first update before the next connection is made: one per worker.
    watch.channel = OwnConnection(gateway->port());
    watch.stub = stock::v1::StockService::NewStub(watch.channel);
    watch.context.set_deadline(std::chrono::system_clock::now() + seconds(10));
    watch.reader = watch.stub->WatchStockPrice(&watch.context, request);
    stock::v1::PriceUpdate update;
    ASSERT_TRUE(watch.reader->Read(&update));
  }
  auto price_on = [&](Watch& watch) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kGrace / 4);
    stock::v1::PriceUpdate price;
    return watch.stub->GetPrice(&context, request, &price);
  };
  for (Watch& watch : watches) ASSERT_TRUE(price_on(watch).ok()) << "before the stop";
  const auto stop_began = Clock::now();
  std::thread stopper([&gateway] { gateway->Stop(); });
  std::vector<std::thread> readers;
  int updates[kWorkers] = {};
  grpc::Status status[kWorkers];
  milliseconds ended_after[kWorkers] = {};
  for (int i = 0; i < kWorkers; ++i) {
    readers.emplace_back([&, i] {
      stock::v1::PriceUpdate update;
      while (watches[i].reader->Read(&update)) ++updates[i];
      status[i] = watches[i].reader->Finish();
      ended_after[i] = std::chrono::duration_cast<milliseconds>(Clock::now() - stop_began);
    });
  }
  // Every worker told its client connection to drain (h2c GOAWAY) as the stop began: a new
  // call on either connection is refused, well within the grace, while its stream goes on.
  for (int i = 0; i < kWorkers; ++i) {
    bool refused = false;
    const auto give_up = Clock::now() + kGrace / 2;
    grpc::Status last;
    while (!refused && Clock::now() < give_up) {
      last = price_on(watches[i]);
      refused = !last.ok();
      if (!refused) std::this_thread::sleep_for(kPollInterval);
    }
    EXPECT_TRUE(refused) << "worker " << i << " still took new calls while draining";
  }
  for (auto& reader : readers) reader.join();
  stopper.join();
  for (int i = 0; i < kWorkers; ++i) {
    // Each worker let its stream run through the grace, then ended it with the drain's status.
    EXPECT_GE(updates[i], kMinUpdatesWhileDraining) << "worker " << i;
    EXPECT_EQ(status[i].error_code(), grpc::StatusCode::UNAVAILABLE) << "worker " << i;
    EXPECT_EQ(status[i].error_message(), "the gateway is shutting down") << "worker " << i;
    EXPECT_LT(ended_after[i].count(), kEndsBefore.count()) << "ms, worker " << i;
  }
}

}  // namespace
}  // namespace switchboard::gateway
