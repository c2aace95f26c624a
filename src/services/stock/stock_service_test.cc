// StockService over loopback: GetPrice, watching, publishing, errors and determinism.
#include "services/stock/stock_service.h"

#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "services/stock/price_walk.h"
#include "services/stock/stock_test_support.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::stock {
namespace {

using testing::FakeClock;
using testing::Watcher;

const std::vector<std::string> kDefaultSymbols = {"AAPL", "ACME", "GRPC", "HTTP", "PROTO", "QUIC"};

grpc::Status GetPrice(v1::StockService::Stub* stub, const std::string& symbol,
                      v1::PriceUpdate* price) {
  grpc::ClientContext context;
  context.set_deadline(testing::CallDeadline());
  v1::StockRequest request;
  request.set_symbol(symbol);
  return stub->GetPrice(&context, request, price);
}

v1::PriceUpdate Tick(const std::string& symbol, float price, int64_t timestamp = 0) {
  v1::PriceUpdate tick;
  tick.set_symbol(symbol);
  tick.set_price(price);
  tick.set_timestamp(timestamp);
  return tick;
}

// Sends `ticks` on one PublishPrices call and returns its status and the accepted count.
grpc::Status Publish(v1::StockService::Stub* stub, const std::vector<v1::PriceUpdate>& ticks,
                     int64_t* accepted) {
  grpc::ClientContext context;
  context.set_deadline(testing::CallDeadline());
  v1::PublishPricesResponse response;
  auto writer = stub->PublishPrices(&context, &response);
  for (const auto& tick : ticks) {
    if (!writer->Write(tick)) break;  // the server has ended the call; Finish says why
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  *accepted = response.accepted();
  return status;
}

// A server whose prices move only when the test ticks, on a clock the test controls.
class StockServiceTest : public ::testing::Test {
 protected:
  explicit StockServiceTest(const std::string& settings = "{}")
      : server_(testing::StockFactory({clock_.AsClock(), /*run_ticker=*/false}), settings),
        stub_(v1::StockService::NewStub(server_.NewChannel())) {}

  StockService& service() { return *static_cast<StockService*>(server_.service()); }
  void TickAt(int64_t advance_ms) {
    clock_.Advance(advance_ms);
    service().feed().Tick();
  }

  FakeClock clock_;
  switchboard::testing::TestServer server_;
  std::unique_ptr<v1::StockService::Stub> stub_;
};

// The contract's own example, WatchStockPrice {symbol: "AAPL"}, works on a default config.
TEST_F(StockServiceTest, TheContractsExampleSymbolIsTradedByDefault) {
  Watcher watcher(stub_.get(), "AAPL");
  ASSERT_TRUE(watcher.WaitForCount(1));
  TickAt(100);
  ASSERT_TRUE(watcher.WaitForCount(2));
  const auto updates = watcher.updates();
  EXPECT_EQ(updates[0].symbol(), "AAPL");
  EXPECT_GT(updates[1].price(), 0);
}

TEST_F(StockServiceTest, GetPriceReturnsTheLatestPrice) {
  v1::PriceUpdate price;
  grpc::Status status = GetPrice(stub_.get(), "ACME", &price);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(price.symbol(), "ACME");
  EXPECT_GT(price.price(), 0);
  EXPECT_EQ(price.timestamp(), FakeClock::kStartMs);
  EXPECT_EQ(price.dropped_since_last(), 0);

  TickAt(100);
  v1::PriceUpdate after;
  ASSERT_TRUE(GetPrice(stub_.get(), "ACME", &after).ok());
  EXPECT_EQ(after.timestamp(), FakeClock::kStartMs + 100);
  EXPECT_EQ(after.price(), service().feed().Latest("ACME")->price());
}

TEST_F(StockServiceTest, BadSymbolsGetTheRightCode) {
  struct Case {
    std::string symbol;
    grpc::StatusCode code;
    std::string mentions;
  } cases[] = {
      {"", grpc::StatusCode::INVALID_ARGUMENT, "symbol"},
      {"acme", grpc::StatusCode::INVALID_ARGUMENT, "symbol"},
      {"TOOLONGSYMBOL", grpc::StatusCode::INVALID_ARGUMENT, "symbol"},
      {std::string(100000, 'A'), grpc::StatusCode::INVALID_ARGUMENT, "symbol"},
      {"NOPE", grpc::StatusCode::NOT_FOUND, "NOPE"},
  };
  for (const auto& c : cases) {
    v1::PriceUpdate price;
    grpc::Status status = GetPrice(stub_.get(), c.symbol, &price);
    EXPECT_EQ(status.error_code(), c.code) << "GetPrice " << c.symbol.substr(0, 20);
    EXPECT_NE(status.error_message().find(c.mentions), std::string::npos) << status.error_message();

    Watcher watcher(stub_.get(), c.symbol);
    ASSERT_TRUE(watcher.WaitDone());
    EXPECT_EQ(watcher.status().error_code(), c.code) << "Watch " << c.symbol.substr(0, 20);
    EXPECT_NE(watcher.status().error_message().find(c.mentions), std::string::npos)
        << watcher.status().error_message();
    EXPECT_EQ(watcher.count(), 0u);
  }
  EXPECT_TRUE(testing::WaitUntil([&] { return service().open_watch_streams() == 0; }));
}

TEST_F(StockServiceTest, WatchGetsTheCurrentPriceFirstThenEveryTickInOrder) {
  Watcher watcher(stub_.get(), "GRPC");
  // No tick has happened: this first message can only be the current price.
  ASSERT_TRUE(watcher.WaitForCount(1));
  v1::PriceUpdate current;
  ASSERT_TRUE(GetPrice(stub_.get(), "GRPC", &current).ok());
  EXPECT_EQ(watcher.updates()[0].price(), current.price());
  EXPECT_EQ(watcher.updates()[0].timestamp(), FakeClock::kStartMs);

  constexpr int kTicks = 5;
  for (int i = 1; i <= kTicks; ++i) {
    TickAt(100);
    // One at a time, so queue capacity 1 never has to drop.
    ASSERT_TRUE(watcher.WaitForCount(1 + i)) << "tick " << i;
  }
  const auto updates = watcher.updates();
  ASSERT_EQ(updates.size(), 1u + kTicks);
  for (size_t i = 1; i < updates.size(); ++i) {
    EXPECT_EQ(updates[i].symbol(), "GRPC");
    EXPECT_GT(updates[i].timestamp(), updates[i - 1].timestamp());
    EXPECT_EQ(updates[i].dropped_since_last(), 0);
  }
  ASSERT_TRUE(GetPrice(stub_.get(), "GRPC", &current).ok());
  EXPECT_EQ(updates.back().price(), current.price());
}

TEST_F(StockServiceTest, PublishedTicksReachWatchersAndAddSymbols) {
  Watcher unknown(stub_.get(), "NEWCO");
  ASSERT_TRUE(unknown.WaitDone());
  EXPECT_EQ(unknown.status().error_code(), grpc::StatusCode::NOT_FOUND);

  int64_t accepted = 0;
  grpc::Status status = Publish(stub_.get(), {Tick("NEWCO", 12.5f)}, &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(accepted, 1);

  Watcher newco(stub_.get(), "NEWCO");
  Watcher acme(stub_.get(), "ACME");
  ASSERT_TRUE(newco.WaitForCount(1));
  ASSERT_TRUE(acme.WaitForCount(1));
  EXPECT_EQ(newco.updates()[0].price(), 12.5f);
  EXPECT_EQ(newco.updates()[0].timestamp(), FakeClock::kStartMs);  // stamped by the server

  status = Publish(stub_.get(), {Tick("NEWCO", 13.0f, 1234), Tick("ACME", 77.25f)}, &accepted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(accepted, 2);
  ASSERT_TRUE(newco.WaitForCount(2));
  ASSERT_TRUE(acme.WaitForCount(2));
  EXPECT_EQ(newco.updates()[1].price(), 13.0f);
  EXPECT_EQ(newco.updates()[1].timestamp(), 1234);  // a publisher's own time is kept
  EXPECT_EQ(acme.updates()[1].price(), 77.25f);

  v1::PriceUpdate price;
  ASSERT_TRUE(GetPrice(stub_.get(), "NEWCO", &price).ok());
  EXPECT_EQ(price.price(), 13.0f);
}

TEST_F(StockServiceTest, PublishRejectsABadChunkByIndex) {
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  const float kInf = std::numeric_limits<float>::infinity();
  struct Case {
    v1::PriceUpdate bad;
    std::string mentions;
  } cases[] = {
      {Tick("ACME", kNaN), "price"},  {Tick("ACME", kInf), "price"},
      {Tick("ACME", 0.0f), "price"},  {Tick("ACME", -3.0f), "price"},
      {Tick("acme", 1.0f), "symbol"}, {Tick("ACME", 1.0f, -5), "timestamp"},
  };
  for (const auto& c : cases) {
    int64_t accepted = -1;
    grpc::Status status =
        Publish(stub_.get(), {Tick("ACME", 50.0f), Tick("ACME", 51.0f), c.bad, Tick("ACME", 52.0f)},
                &accepted);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_NE(status.error_message().find("chunk 2"), std::string::npos) << status.error_message();
    EXPECT_NE(status.error_message().find(c.mentions), std::string::npos) << status.error_message();
    // The chunks before the bad one are live already.
    v1::PriceUpdate price;
    ASSERT_TRUE(GetPrice(stub_.get(), "ACME", &price).ok());
    EXPECT_EQ(price.price(), 51.0f);
  }
}

TEST_F(StockServiceTest, EmptyPublishAcceptsNothing) {
  int64_t accepted = -1;
  ASSERT_TRUE(Publish(stub_.get(), {}, &accepted).ok());
  EXPECT_EQ(accepted, 0);
}

class StockServiceSmallLimitsTest : public StockServiceTest {
 protected:
  StockServiceSmallLimitsTest() : StockServiceTest("{symbols: [ACME], max_symbols: 2}") {}
};

TEST_F(StockServiceSmallLimitsTest, PublishingTooManySymbolsIsResourceExhausted) {
  int64_t accepted = 0;
  grpc::Status status =
      Publish(stub_.get(), {Tick("B", 1.0f), Tick("B", 2.0f), Tick("C", 1.0f)}, &accepted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("chunk 2"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("max_symbols"), std::string::npos);
}

TEST(StockServiceDeterminism, SameSeedGivesTheSameWalkOverTheWire) {
  FakeClock clock;
  const StockDeps deps{clock.AsClock(), /*run_ticker=*/false};
  switchboard::testing::TestServer a(testing::StockFactory(deps), "{seed: 9}");
  switchboard::testing::TestServer b(testing::StockFactory(deps), "{seed: 9}");
  switchboard::testing::TestServer c(testing::StockFactory(deps), "{seed: 10}");
  auto stub_a = v1::StockService::NewStub(a.NewChannel());
  auto stub_b = v1::StockService::NewStub(b.NewChannel());
  auto stub_c = v1::StockService::NewStub(c.NewChannel());
  constexpr int kTicks = 20;
  for (int tick = 0; tick <= kTicks; ++tick) {
    int differs_from_c = 0;
    for (const std::string& symbol : kDefaultSymbols) {
      v1::PriceUpdate pa, pb, pc;
      ASSERT_TRUE(GetPrice(stub_a.get(), symbol, &pa).ok());
      ASSERT_TRUE(GetPrice(stub_b.get(), symbol, &pb).ok());
      ASSERT_TRUE(GetPrice(stub_c.get(), symbol, &pc).ok());
      EXPECT_EQ(pa.price(), pb.price()) << symbol << " tick " << tick;
      if (pa.price() != pc.price()) ++differs_from_c;
    }
    EXPECT_GT(differs_from_c, 0) << "tick " << tick;
    for (auto* server : {&a, &b, &c}) {
      static_cast<StockService*>(server->service())->feed().Tick();
    }
  }
}

TEST(StockServiceTicker, PricesMoveOnTheirOwnWithIncreasingTimestamps) {
  // Seed 42's QUIC walk never shows one price in cents at more than 3 ticks in a row (checked
  // over its first 100000 ticks), so kUpdates updates (kUpdates - 1 ticks or more apart) that
  // all show one price mean the ticker stamps times without stepping the walk.
  switchboard::testing::TestServer server(MakeStockService, "{tick_interval: 10ms, seed: 42}");
  auto stub = v1::StockService::NewStub(server.NewChannel());
  Watcher watcher(stub.get(), "QUIC");
  constexpr size_t kUpdates = 8;
  ASSERT_TRUE(watcher.WaitForCount(kUpdates));
  const auto updates = watcher.updates();
  size_t moved = 0;
  for (size_t i = 1; i < updates.size(); ++i) {
    EXPECT_GE(updates[i].timestamp(), updates[i - 1].timestamp());
    if (updates[i].price() != updates[i - 1].price()) ++moved;
    // With nothing dropped in between this is one tick: one step of at most kMaxStepFraction,
    // plus the cent the price is rounded to.
    if (updates[i].dropped_since_last() == 0) {
      constexpr double kCent = 0.01;
      EXPECT_LE(std::abs(updates[i].price() - updates[i - 1].price()),
                updates[i - 1].price() * PriceWalk::kMaxStepFraction + kCent)
          << "update " << i;
    }
  }
  EXPECT_GT(moved, 0u) << "every one of " << updates.size() << " updates has the price "
                       << updates.front().price();
  EXPECT_GT(updates.back().timestamp(), updates.front().timestamp());
  EXPECT_NEAR(updates.back().timestamp(), SystemUnixMillis(), 10000);
}

TEST(StockServiceSettings, BadSettingFailsAtStart) {
  common::ServiceOptions options;
  options.data_dir = "/tmp";
  options.settings = YAML::Load("{colour: red}");
  auto service = MakeStockService(options);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("services.stock.colour"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::stock
