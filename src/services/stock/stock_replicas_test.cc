// Stock replicas sharing a bus: one feed for all, every watcher on every replica sees every
// price in one order with the same values, whichever replica a price was published through;
// one replica moves the prices, and another takes over when it dies; a replica says NOT_SERVING
// while its nats-server is away. Replicas run in this process on a shared InProcessBus, or on
// a real nats-server.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/bus/in_process_bus.h"
#include "common/bus/nats_bus.h"
#include "common/bus/testing/nats_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/stock/stock_service.h"
#include "services/stock/stock_test_support.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::stock {
namespace {

using testing::Watcher;
using Replica = switchboard::testing::TestServer;
using HealthStatus = grpc::health::v1::HealthCheckResponse;

// Watch queues long enough that no price is dropped for a test reader.
constexpr char kQuiet[] = "{stream_queue: 256, tick_interval: 1h, leader_lease: 500ms}";
constexpr char kTicking[] = "{stream_queue: 256, tick_interval: 20ms, leader_lease: 500ms}";

std::unique_ptr<Replica> StartReplica(std::shared_ptr<bus::Bus> bus, const char* settings) {
  StockDeps deps;
  deps.bus = std::move(bus);
  return std::make_unique<Replica>(testing::StockFactory(deps), settings);
}

std::shared_ptr<bus::Bus> NatsAt(const std::string& url) {
  bus::NatsOptions options;
  options.url = url;
  auto connected = bus::NatsBus::Connect(options);
  EXPECT_TRUE(connected.ok()) << connected.status();
  return connected.ok() ? std::shared_ptr<bus::Bus>(std::move(*connected)) : nullptr;
}

StockService& Service(Replica& replica) { return *static_cast<StockService*>(replica.service()); }

grpc::Status PublishOne(Replica& replica, const std::string& symbol, float price) {
  auto stub = v1::StockService::NewStub(replica.NewChannel());
  grpc::ClientContext context;
  context.set_deadline(testing::CallDeadline());
  v1::PublishPricesResponse response;
  auto writer = stub->PublishPrices(&context, &response);
  v1::PriceUpdate tick;
  tick.set_symbol(symbol);
  tick.set_price(price);
  writer->Write(tick);
  writer->WritesDone();
  return writer->Finish();
}

// The grpc.health.v1 status of the stock service, as a health checker sees it.
HealthStatus::ServingStatus Health(Replica& replica) {
  auto stub = grpc::health::v1::Health::NewStub(replica.NewChannel());
  grpc::ClientContext context;
  context.set_deadline(testing::CallDeadline());
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(v1::StockService::service_full_name());
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) return HealthStatus::UNKNOWN;
  return response.status();
}

std::vector<float> Prices(const std::vector<v1::PriceUpdate>& updates) {
  std::vector<float> prices;
  for (const auto& u : updates) prices.push_back(u.price());
  return prices;
}

// Three watchers of ACME on each of two replicas; twelve prices published through both
// alternately: every watcher sees all twelve, in the order sent.
void EveryWatcherSeesEveryPublishedPrice(std::shared_ptr<bus::Bus> bus_a,
                                         std::shared_ptr<bus::Bus> bus_b) {
  auto a = StartReplica(bus_a, kQuiet);
  auto b = StartReplica(bus_b, kQuiet);
  std::vector<std::unique_ptr<v1::StockService::Stub>> stubs;
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < 6; ++i) {
    stubs.push_back(v1::StockService::NewStub((i % 2 ? b : a)->NewChannel()));
    watchers.push_back(std::make_unique<Watcher>(stubs.back().get(), "ACME"));
    ASSERT_TRUE(watchers.back()->WaitForCount(1));  // the current price, on subscribing
  }
  std::vector<float> sent;
  for (int i = 0; i < 12; ++i) {
    sent.push_back(100.0f + i);
    grpc::Status status = PublishOne(i % 2 ? *b : *a, "ACME", sent.back());
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (auto& watcher : watchers) {
    ASSERT_TRUE(watcher->WaitForCount(13)) << watcher->count();
    auto prices = Prices(watcher->updates());
    EXPECT_EQ(std::vector<float>(prices.begin() + 1, prices.end()), sent);
  }
}

TEST(StockReplicas, InProcessBusGivesEveryWatcherEveryPrice) {
  auto shared = std::make_shared<bus::InProcessBus>();
  EveryWatcherSeesEveryPublishedPrice(shared, shared);
}

class StockOnNats : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = bus::testing::NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    nats_ = std::move(*server);
  }
  std::unique_ptr<bus::testing::NatsServer> nats_;
};

TEST_F(StockOnNats, EveryWatcherOnEveryReplicaSeesEveryPublishedPrice) {
  EveryWatcherSeesEveryPublishedPrice(NatsAt(nats_->url()), NatsAt(nats_->url()));
}

// Ticks: exactly one replica moves the prices, and watchers on both see the same ones in the
// same order.
TEST_F(StockOnNats, OneLeaderTicksForAllAndAnotherTakesOverWhenItDies) {
  auto a = StartReplica(NatsAt(nats_->url()), kTicking);
  ASSERT_TRUE(testing::WaitUntil([&] { return Service(*a).shared_feed()->leader(); }));
  auto b = StartReplica(NatsAt(nats_->url()), kTicking);
  auto stub_a = v1::StockService::NewStub(a->NewChannel());
  auto stub_b = v1::StockService::NewStub(b->NewChannel());
  Watcher on_a(stub_a.get(), "GRPC");
  Watcher on_b(stub_b.get(), "GRPC");
  ASSERT_TRUE(on_a.WaitForCount(30));
  ASSERT_TRUE(on_b.WaitForCount(30));
  EXPECT_TRUE(Service(*a).shared_feed()->leader());
  EXPECT_FALSE(Service(*b).shared_feed()->leader());
  // The same prices in the same order: b's updates (after its first, the price it started
  // with) are a run of a's.
  const auto seen_a = on_a.updates();
  const auto seen_b = on_b.updates();
  const v1::PriceUpdate& first_b = seen_b[1];
  size_t start = 0;
  while (start < seen_a.size() && seen_a[start].timestamp() != first_b.timestamp()) ++start;
  ASSERT_LT(start, seen_a.size()) << "b saw a tick a never saw";
  for (size_t i = 1; i < seen_b.size() && start + i - 1 < seen_a.size(); ++i) {
    EXPECT_EQ(seen_b[i].price(), seen_a[start + i - 1].price()) << i;
    EXPECT_EQ(seen_b[i].timestamp(), seen_a[start + i - 1].timestamp()) << i;
  }

  // The leader dies: b takes over within about one lease and its watcher keeps getting ticks.
  a.reset();
  const size_t before = on_b.count();
  ASSERT_TRUE(testing::WaitUntil([&] { return Service(*b).shared_feed()->leader(); },
                                 std::chrono::seconds(5)));
  ASSERT_TRUE(on_b.WaitForCount(before + 20)) << on_b.count();
  const auto after = on_b.updates();
  for (size_t i = 1; i < after.size(); ++i) {
    EXPECT_GE(after[i].timestamp(), after[i - 1].timestamp()) << i;
  }
}

TEST_F(StockOnNats, TicksGoOnAfterANatsRestart) {
  auto a = StartReplica(NatsAt(nats_->url()), kTicking);
  auto b = StartReplica(NatsAt(nats_->url()), kTicking);
  auto stub_b = v1::StockService::NewStub(b->NewChannel());
  Watcher on_b(stub_b.get(), "HTTP");
  ASSERT_TRUE(on_b.WaitForCount(10));
  nats_->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(nats_->Restart().ok()) << nats_->Output();
  const size_t before = on_b.count();
  ASSERT_TRUE(on_b.WaitForCount(before + 20, std::chrono::seconds(15))) << on_b.count();
}

TEST_F(StockOnNats, ABusOutageIsNotServingUntilTheBusIsBack) {
  auto a = StartReplica(NatsAt(nats_->url()), kTicking);
  auto b = StartReplica(NatsAt(nats_->url()), kTicking);
  EXPECT_EQ(Health(*a), HealthStatus::SERVING);
  EXPECT_EQ(Health(*b), HealthStatus::SERVING);
  nats_->Kill();
  ASSERT_TRUE(testing::WaitUntil([&] {
    return Health(*a) == HealthStatus::NOT_SERVING && Health(*b) == HealthStatus::NOT_SERVING;
  }));
  ASSERT_TRUE(nats_->Restart().ok()) << nats_->Output();
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Health(*a) == HealthStatus::SERVING && Health(*b) == HealthStatus::SERVING; }));
  // Serving means serving: a watcher gets prices again.
  auto stub = v1::StockService::NewStub(b->NewChannel());
  Watcher on_b(stub.get(), "HTTP");
  ASSERT_TRUE(on_b.WaitForCount(2)) << on_b.count();
}

// Once BeginShutdown has begun the service no longer reports its bus, whatever the bus does.
TEST_F(StockOnNats, NoHealthReportAfterShutdownBegins) {
  auto bus = NatsAt(nats_->url());
  ASSERT_TRUE(bus);
  StockDeps deps;
  deps.bus = bus;
  deps.run_ticker = false;
  common::ServiceOptions options;
  options.name = "stock";
  options.settings = YAML::Load(kQuiet);
  auto service = NewStockService(options, deps);
  ASSERT_TRUE(service.ok()) << service.status();
  std::mutex mutex;
  std::vector<bool> reports;
  (*service)->AttachHealth([&](bool serving) {
    std::lock_guard<std::mutex> lock(mutex);
    reports.push_back(serving);
  });
  {
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_EQ(reports, std::vector<bool>{true});
  }
  (*service)->BeginShutdown();
  // Watched after the service's own watch: the bus tells this one last, so once it has seen
  // the outage and the reconnect the service's watch (were it still on) has seen them too.
  std::vector<bool> seen;
  auto watch = bus->WatchConnection([&](bool connected) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(connected);
  });
  nats_->Kill();
  ASSERT_TRUE(testing::WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return !seen.empty();
  }));
  ASSERT_TRUE(nats_->Restart().ok()) << nats_->Output();
  ASSERT_TRUE(testing::WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return seen == std::vector<bool>{false, true};
  }));
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(reports, std::vector<bool>{true});
}

TEST(StockReplicas, AnInProcessBusKeepsTheReplicaServing) {
  auto a = StartReplica(std::make_shared<bus::InProcessBus>(), kQuiet);
  EXPECT_EQ(Health(*a), HealthStatus::SERVING);
}

TEST(StockBusConfig, AnUnreachableNatsStopsTheStartNamingIt) {
  common::ServiceOptions options;
  options.name = "stock";
  options.settings = YAML::Load("{}");
  options.bus.kind = bus::kNats;
  options.bus.url = "nats://127.0.0.1:" + std::to_string(switchboard::testing::FreePort());
  auto service = MakeStockService(options);
  ASSERT_FALSE(service.ok());
  EXPECT_EQ(service.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(service.status().message().find(options.bus.url), std::string::npos)
      << service.status();
}

}  // namespace
}  // namespace switchboard::stock
