// StockService streams under load over loopback: fan-out, cancellation, a stalled reader,
// the stream limit, and shutdown with streams open.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "services/stock/stock_service.h"
#include "services/stock/stock_test_support.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::stock {
namespace {

using testing::FakeClock;
using testing::WaitUntil;
using testing::Watcher;

constexpr int64_t kTickMs = 100;

class StockStreamingTest : public ::testing::Test {
 protected:
  explicit StockStreamingTest(const std::string& settings = "{symbols: [ACME, GRPC]}")
      : server_(testing::StockFactory({clock_.AsClock(), /*run_ticker=*/false}), settings),
        stub_(v1::StockService::NewStub(server_.NewChannel())) {}

  StockService& service() { return *static_cast<StockService*>(server_.service()); }
  void TickNow() {
    clock_.Advance(kTickMs);
    service().feed().Tick();
  }

  FakeClock clock_;
  switchboard::testing::TestServer server_;
  std::unique_ptr<v1::StockService::Stub> stub_;
};

TEST_F(StockStreamingTest, OneTickFansOutToTwoHundredWatchers) {
  constexpr int kWatchers = 200;
  constexpr int kChannels = 4;
  constexpr int kTicks = 5;
  std::vector<std::unique_ptr<v1::StockService::Stub>> stubs;
  for (int i = 0; i < kChannels; ++i)
    stubs.push_back(v1::StockService::NewStub(server_.NewChannel()));
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    watchers.push_back(std::make_unique<Watcher>(stubs[i % kChannels].get(), "ACME"));
  }
  for (auto& watcher : watchers) ASSERT_TRUE(watcher->WaitForCount(1));
  EXPECT_EQ(service().feed().SubscriberCount("ACME"), static_cast<size_t>(kWatchers));
  EXPECT_EQ(service().open_watch_streams(), kWatchers);

  for (int tick = 1; tick <= kTicks; ++tick) {
    TickNow();
    for (auto& watcher : watchers) ASSERT_TRUE(watcher->WaitForCount(1 + tick)) << "tick " << tick;
  }
  const auto reference = watchers[0]->updates();
  ASSERT_EQ(reference.size(), 1u + kTicks);
  for (auto& watcher : watchers) {
    const auto updates = watcher->updates();
    ASSERT_EQ(updates.size(), reference.size());
    for (size_t i = 0; i < updates.size(); ++i) {
      EXPECT_EQ(updates[i].price(), reference[i].price());
      EXPECT_EQ(updates[i].timestamp(), reference[i].timestamp());
      EXPECT_EQ(updates[i].dropped_since_last(), 0);
    }
  }
  EXPECT_EQ(service().dropped_total(), 0);
  watchers.clear();
  EXPECT_TRUE(WaitUntil([&] { return service().feed().SubscriberCount("ACME") == 0; }));
}

TEST_F(StockStreamingTest, CancellingMidStreamUnsubscribes) {
  Watcher staying(stub_.get(), "ACME");
  {
    Watcher leaving(stub_.get(), "ACME");
    ASSERT_TRUE(leaving.WaitForCount(1));
    TickNow();
    ASSERT_TRUE(leaving.WaitForCount(2));
    EXPECT_EQ(service().feed().SubscriberCount("ACME"), 2u);
    leaving.Cancel();
    ASSERT_TRUE(leaving.WaitDone());
    EXPECT_EQ(leaving.status().error_code(), grpc::StatusCode::CANCELLED);
    EXPECT_TRUE(WaitUntil([&] { return service().feed().SubscriberCount("ACME") == 1; }));
    EXPECT_EQ(service().open_watch_streams(), 1);
  }
  // The remaining watcher is unaffected.
  TickNow();
  ASSERT_TRUE(staying.WaitForCount(3));
  staying.Cancel();
  ASSERT_TRUE(staying.WaitDone());
  EXPECT_TRUE(WaitUntil([&] { return service().feed().SubscriberCount("ACME") == 0; }));
  EXPECT_TRUE(WaitUntil([&] { return service().open_watch_streams() == 0; }));
}

TEST_F(StockStreamingTest, StalledReaderDropsOldUpdatesAndNeverDelaysOthers) {
  // The stalled client's own channel with a small, fixed HTTP/2 window, so its transport
  // buffers fill after a few hundred updates rather than after megabytes.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  args.SetInt("switchboard.stalled_channel", 1);
  auto stalled_stub = v1::StockService::NewStub(
      grpc::CreateCustomChannel(server_.address(), grpc::InsecureChannelCredentials(), args));
  Watcher stalled(stalled_stub.get(), "ACME", /*read=*/false);
  Watcher fast(stub_.get(), "ACME");
  ASSERT_TRUE(fast.WaitForCount(1));
  ASSERT_TRUE(WaitUntil([&] { return service().feed().SubscriberCount("ACME") == 2; }));

  // Each tick waits until the fast watcher has it, so it can never be the one dropping.
  constexpr int kMaxTicks = 50000;
  constexpr int64_t kEnoughDrops = 200;
  constexpr auto kOnTime = std::chrono::seconds(2);
  int ticks = 0;
  auto slowest = std::chrono::steady_clock::duration::zero();
  while (ticks < kMaxTicks && service().dropped_total() < kEnoughDrops) {
    TickNow();
    ++ticks;
    const int64_t stamp = clock_.now();
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(fast.WaitForUpdate([&](const v1::PriceUpdate& u) { return u.timestamp() == stamp; },
                                   kOnTime))
        << "tick " << ticks << " reached the fast watcher late";
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
  }
  ASSERT_GE(service().dropped_total(), kEnoughDrops) << "after " << ticks << " ticks";
  const auto fast_updates = fast.updates();
  ASSERT_EQ(fast_updates.size(), 1u + ticks);
  for (const auto& update : fast_updates) ASSERT_EQ(update.dropped_since_last(), 0);
  EXPECT_EQ(stalled.count(), 0u);
  RecordProperty("ticks", ticks);
  RecordProperty(
      "slowest_fast_delivery_us",
      static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(slowest).count()));

  // Once it reads, the stalled client gets what its transport buffered, then the newest
  // price with the number it missed: every tick is either delivered or counted as dropped.
  stalled.StartReading();
  const int64_t last = clock_.now();
  ASSERT_TRUE(
      stalled.WaitForUpdate([&](const v1::PriceUpdate& u) { return u.timestamp() == last; }));
  const auto stalled_updates = stalled.updates();
  int64_t dropped = 0;
  for (const auto& update : stalled_updates) dropped += update.dropped_since_last();
  EXPECT_GE(dropped, kEnoughDrops);
  EXPECT_EQ(static_cast<int64_t>(stalled_updates.size()) + dropped, 1 + ticks);
  EXPECT_EQ(service().dropped_total(), dropped);
}

class StockStreamLimitTest : public StockStreamingTest {
 protected:
  StockStreamLimitTest() : StockStreamingTest("{max_streams: 3}") {}
};

TEST_F(StockStreamLimitTest, StreamsBeyondMaxStreamsAreRefused) {
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < 3; ++i) {
    watchers.push_back(std::make_unique<Watcher>(stub_.get(), "ACME"));
    ASSERT_TRUE(watchers.back()->WaitForCount(1));
  }
  {
    Watcher refused(stub_.get(), "GRPC");
    ASSERT_TRUE(refused.WaitDone());
    EXPECT_EQ(refused.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(refused.status().error_message().find("max_streams"), std::string::npos)
        << refused.status().error_message();
  }
  EXPECT_EQ(service().open_watch_streams(), 3);
  // A freed slot can be taken again.
  watchers.pop_back();
  ASSERT_TRUE(WaitUntil([&] { return service().open_watch_streams() == 2; }));
  Watcher admitted(stub_.get(), "GRPC");
  ASSERT_TRUE(admitted.WaitForCount(1));
}

TEST(StockShutdown, ShutdownWithOpenStreamsIsPrompt) {
  // A grace period longer than the bound, so only the service ending its own streams can
  // make the shutdown prompt.
  common::HostOptions host_options;
  host_options.shutdown_grace = std::chrono::seconds(10);
  switchboard::testing::TestServer server(MakeStockService, "{tick_interval: 5ms}", host_options);
  auto stub = v1::StockService::NewStub(server.NewChannel());
  constexpr int kWatchers = 50;
  const std::vector<std::string> symbols = {"AAPL", "ACME", "GRPC", "HTTP", "PROTO", "QUIC"};
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    watchers.push_back(std::make_unique<Watcher>(stub.get(), symbols[i % symbols.size()]));
  }
  Watcher stalled(stub.get(), "ACME", /*read=*/false);
  for (auto& watcher : watchers) ASSERT_TRUE(watcher->WaitForCount(2));

  // A publisher that never closes its side.
  grpc::ClientContext publish_context;
  publish_context.set_deadline(testing::CallDeadline());
  v1::PublishPricesResponse response;
  auto publisher = stub->PublishPrices(&publish_context, &response);
  v1::PriceUpdate tick;
  tick.set_symbol("PUB");
  tick.set_price(10);
  ASSERT_TRUE(publisher->Write(tick));
  auto* service = static_cast<StockService*>(server.service());
  ASSERT_TRUE(WaitUntil([&] { return service->feed().Latest("PUB").ok(); }));

  const auto start = std::chrono::steady_clock::now();
  server.Shutdown();
  const int64_t took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
  EXPECT_LT(took_ms, 3000);
  RecordProperty("shutdown_ms", static_cast<int>(took_ms));
  for (auto& watcher : watchers) {
    ASSERT_TRUE(watcher->WaitDone());
    EXPECT_EQ(watcher->status().error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(watcher->status().error_message(), kShuttingDownMessage);
  }
  EXPECT_EQ(publisher->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace switchboard::stock
