// Native gRPC through the gateway: real services on loopback behind a real GatewayServer,
// called with grpc++ stubs over h2c.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <grpcpp/generic/generic_stub.h>

#include <boost/asio.hpp>

#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "gateway/gateway_server.h"
#include "gateway/testing/gateway_test_support.h"
#include "services/stock/stock_service.h"
#include "services/ticket/ticket_service.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"
#include "switchboard/ticket/v1/ticket.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::gateway {
namespace {

class NativeProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GatewayConfig config =
        TestGatewayConfig({{"switchboard.ticket.v1.TicketService", ticket_.address()},
                           {"switchboard.stock.v1.StockService", stock_.address()}});
    config.services["switchboard.stock.v1.StockService"].timeouts.max_timeout =
        std::chrono::seconds(3);
    auto server = GatewayServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    gateway_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  static std::chrono::system_clock::time_point In(std::chrono::milliseconds ms) {
    return std::chrono::system_clock::now() + ms;
  }

  switchboard::testing::TestServer ticket_{ticket::MakeTicketService};
  switchboard::testing::TestServer stock_{stock::MakeStockService, "{tick_interval: 20ms}"};
  std::unique_ptr<GatewayServer> gateway_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(NativeProxyTest, UnaryCallPassesThrough) {
  auto stub = ticket::v1::TicketService::NewStub(channel_);
  for (int i = 0; i < 50; ++i) {
    grpc::ClientContext context;
    context.set_deadline(In(std::chrono::seconds(5)));
    ticket::v1::GetEventRequest request;
    request.set_id("evt-2");
    ticket::v1::Event event;
    grpc::Status status = stub->GetEvent(&context, request, &event);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(event.venue(), "Paradiso, Amsterdam");
  }
}

TEST_F(NativeProxyTest, ErrorsAndMetadataPassThrough) {
  auto stub = ticket::v1::TicketService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(5)));
  context.AddMetadata("x-deadline-trace", "1");
  ticket::v1::GetEventRequest request;
  request.set_id("evt-404");
  ticket::v1::Event event;
  grpc::Status status = stub->GetEvent(&context, request, &event);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("evt-404"), std::string::npos);
  auto trace = context.GetServerTrailingMetadata().find("x-deadline-budget");
  ASSERT_NE(trace, context.GetServerTrailingMetadata().end());
  const std::string value(trace->second.data(), trace->second.size());
  EXPECT_EQ(value.rfind("gateway=", 0), 0u) << value;
  EXPECT_NE(value.find(";ticket="), std::string::npos) << value;
  const double gateway_ms = std::stod(value.substr(8));
  const double ticket_ms = std::stod(value.substr(value.find(";ticket=") + 8));
  EXPECT_LT(ticket_ms, gateway_ms);
  // grpc-core rounds the grpc-timeout it sends up to the unit it encodes in (10 ms steps here),
  // so the budget on entry may exceed the 5 s deadline by that much, never by more.
  constexpr double kTimeoutEncodingStepMs = 10.0;
  EXPECT_LE(gateway_ms, 5000.0 + kTimeoutEncodingStepMs);
}

TEST_F(NativeProxyTest, UnknownServiceIsUnimplementedWithoutABackend) {
  auto channel = channel_;
  grpc::GenericStub generic(channel);
  struct Case {
    const char* path;
    const char* mentions;
  } cases[] = {{"/no.such.Service/Get", "unknown service"},
               {"/switchboard.ticket.v1.TicketService/NoSuch", "unknown method"}};
  for (const auto& c : cases) {
    grpc::ClientContext context;
    context.set_deadline(In(std::chrono::seconds(5)));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    grpc::Status status;
    generic.UnaryCall(&context, c.path, grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        std::lock_guard<std::mutex> lock(mutex);
                        status = s;
                        done = true;
                        done_cv.notify_one();
                      });
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(done_cv.wait_for(lock, std::chrono::seconds(5), [&] { return done; }));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << c.path;
    EXPECT_NE(status.error_message().find(c.mentions), std::string::npos) << status.error_message();
  }
}

TEST_F(NativeProxyTest, ServerStreamingFlowsAndCancels) {
  auto stub = stock::v1::StockService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(10)));
  stock::v1::StockRequest request;
  request.set_symbol("ACME");
  auto reader = stub->WatchStockPrice(&context, request);
  stock::v1::PriceUpdate update;
  int64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(reader->Read(&update));
    EXPECT_GE(update.timestamp(), last);
    last = update.timestamp();
  }
  context.TryCancel();
  while (reader->Read(&update)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  auto* service = dynamic_cast<stock::StockService*>(stock_.service());
  ASSERT_NE(service, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (service->open_watch_streams() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(service->open_watch_streams(), 0) << "cancel did not reach the backend";
}

// True once a TCP connect to 127.0.0.1:`port` is refused (nothing listens there any more);
// false when connections are still accepted after `limit`.
bool WaitUntilConnectionsAreRefused(uint16_t port, std::chrono::milliseconds limit) {
  constexpr auto kPollInterval = std::chrono::milliseconds(5);
  const auto give_up = std::chrono::steady_clock::now() + limit;
  boost::asio::io_context io;
  do {
    boost::asio::ip::tcp::socket probe(io);
    boost::system::error_code error;
    probe.connect({boost::asio::ip::make_address("127.0.0.1"), port}, error);
    if (error == boost::asio::error::connection_refused) return true;
    // Accepted: closed at once, a connection that never sends a byte.
    std::this_thread::sleep_for(kPollInterval);
  } while (std::chrono::steady_clock::now() < give_up);
  return false;
}

TEST_F(NativeProxyTest, StoppingLetsCallsInFlightGoOnThenEndsThemUnavailable) {
  // Below the 800 ms grace period, so the late call below still meets a draining gateway.
  constexpr std::chrono::milliseconds kListenerClosesWithin{500};
  GatewayConfig config =
      TestGatewayConfig({{"switchboard.stock.v1.StockService", stock_.address()}});
  config.limits.shutdown_grace = std::chrono::milliseconds(800);
  auto started = GatewayServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<GatewayServer> gateway = std::move(*started);
  const std::string address = "127.0.0.1:" + std::to_string(gateway->port());
  auto stub = stock::v1::StockService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(10)));
  stock::v1::StockRequest request;
  request.set_symbol("ACME");
  auto reader = stub->WatchStockPrice(&context, request);
  stock::v1::PriceUpdate update;
  ASSERT_TRUE(reader->Read(&update));

  const auto stop_began = std::chrono::steady_clock::now();
  std::thread stopper([&gateway] { gateway->Stop(); });
  // During the grace period the stream goes on; a new connection is refused. Stop's first
  // step closes the listener: waited for, well within the grace period.
  EXPECT_TRUE(WaitUntilConnectionsAreRefused(gateway->port(), kListenerClosesWithin))
      << "the gateway still accepted connections " << kListenerClosesWithin.count()
      << " ms after Stop began";
  auto late_stub = stock::v1::StockService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext late;
  late.set_deadline(In(std::chrono::milliseconds(500)));
  stock::v1::PriceUpdate price;
  EXPECT_FALSE(late_stub->GetPrice(&late, request, &price).ok());
  int updates_while_draining = 0;
  while (reader->Read(&update)) ++updates_while_draining;
  const grpc::Status status = reader->Finish();
  const auto ended_after = std::chrono::steady_clock::now() - stop_began;
  stopper.join();
  EXPECT_GT(updates_while_draining, 5);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(status.error_message(), "the gateway is shutting down");
  EXPECT_GE(ended_after, std::chrono::milliseconds(700));
  EXPECT_LT(ended_after, std::chrono::milliseconds(2500));
  EXPECT_LT(std::chrono::steady_clock::now() - stop_began, std::chrono::seconds(3));
}

TEST(GatewayStop, AnIdleGatewayStopsAtOnce) {
  // No client connection, no backend connection, no health checks: nothing pending on the
  // loop, which must still run every step of Stop.
  GatewayConfig config =
      TestGatewayConfig({{"switchboard.ticket.v1.TicketService", "127.0.0.1:1"}});
  config.services["switchboard.ticket.v1.TicketService"].health_check.enabled = false;
  auto started = GatewayServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto begin = std::chrono::steady_clock::now();
  (*started)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(500));
}

TEST_F(NativeProxyTest, ClientStreamingPassesThrough) {
  auto stub = stock::v1::StockService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(5)));
  stock::v1::PublishPricesResponse response;
  auto writer = stub->PublishPrices(&context, &response);
  for (int i = 1; i <= 100; ++i) {
    stock::v1::PriceUpdate tick;
    tick.set_symbol("NEW");
    tick.set_price(static_cast<float>(i));
    ASSERT_TRUE(writer->Write(tick));
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 100);
}

TEST_F(NativeProxyTest, RouteMaximumCapsTheDeadline) {
  // stock's route caps deadlines at 3 s: a 60 s watch ends at the gateway after about 3 s.
  auto stub = stock::v1::StockService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(60)));
  stock::v1::StockRequest request;
  request.set_symbol("ACME");
  const auto start = std::chrono::steady_clock::now();
  auto reader = stub->WatchStockPrice(&context, request);
  stock::v1::PriceUpdate update;
  while (reader->Read(&update)) {
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GT(elapsed, std::chrono::milliseconds(2500));
  EXPECT_LT(elapsed, std::chrono::milliseconds(6000));
}

// Every response byte the gateway receives must go back to the backend connection's window,
// also when the backend's stream closed before the client took the bytes; otherwise a
// connection stalls for good once a window's worth of responses has leaked.
TEST(GatewayFlowControl, SmallConnectionWindowNeverStalls) {
  switchboard::testing::TestServer ticket(ticket::MakeTicketService);
  GatewayConfig config =
      TestGatewayConfig({{"switchboard.ticket.v1.TicketService", ticket.address()}});
  config.limits.connection_window_bytes = 65535;
  auto gateway = GatewayServer::Start(config);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  auto stub = ticket::v1::TicketService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*gateway)->port()), grpc::InsecureChannelCredentials()));
  // 2,000 responses of ~78 bytes: more than twice the window.
  constexpr int kCalls = 2000;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls / 4; ++i) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        ticket::v1::GetEventRequest request;
        request.set_id("evt-1");
        ticket::v1::Event event;
        if (stub->GetEvent(&context, request, &event).ok()) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kCalls);
}

// A stream that stays quiet longer than the idle timeout keeps its connection open, and the
// idle check must not spin meanwhile.
TEST(GatewayIdle, QuietStreamKeepsConnectionWithoutSpinning) {
  switchboard::testing::TestServer stock(stock::MakeStockService, "{tick_interval: 1h}");
  GatewayConfig config =
      TestGatewayConfig({{"switchboard.stock.v1.StockService", stock.address()}});
  config.limits.idle_timeout = std::chrono::milliseconds(100);
  auto gateway = GatewayServer::Start(config);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  auto stub = stock::v1::StockService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*gateway)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  stock::v1::StockRequest request;
  request.set_symbol("ACME");
  auto reader = stub->WatchStockPrice(&context, request);
  stock::v1::PriceUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  auto cpu_us = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000 + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
  };
  EXPECT_LT(cpu_us(after) - cpu_us(before), 300000) << "the process burned CPU while idle";
  // Still connected: a publish reaches the quiet watcher.
  grpc::ClientContext publish_context;
  publish_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  stock::v1::PublishPricesResponse published;
  auto writer = stub->PublishPrices(&publish_context, &published);
  stock::v1::PriceUpdate tick;
  tick.set_symbol("ACME");
  tick.set_price(123.0f);
  writer->Write(tick);
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_FLOAT_EQ(update.price(), 123.0f);
  context.TryCancel();
}

TEST_F(NativeProxyTest, DeadBackendIsUnavailable) {
  ticket_.Shutdown();
  auto stub = ticket::v1::TicketService::NewStub(channel_);
  grpc::ClientContext context;
  context.set_deadline(In(std::chrono::seconds(5)));
  ticket::v1::GetEventRequest request;
  request.set_id("evt-1");
  ticket::v1::Event event;
  EXPECT_EQ(stub->GetEvent(&context, request, &event).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace switchboard::gateway
