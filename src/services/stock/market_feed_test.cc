// The market feed without gRPC: fan-out, first price on subscribe, publishing, limits, close.
#include "services/stock/market_feed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace switchboard::stock {
namespace {

constexpr int64_t kStartMs = 1000;

class RecordingSubscriber : public PriceSubscriber {
 public:
  void OnPrice(const v1::PriceUpdate& update) override { updates.push_back(update); }
  void OnFeedClosed() override { closed = true; }
  int64_t DroppedUpdates() override { return dropped; }

  std::vector<v1::PriceUpdate> updates;
  bool closed = false;
  int64_t dropped = 0;
};

class MarketFeedTest : public ::testing::Test {
 protected:
  MarketFeedOptions Options(uint64_t seed = 42) {
    MarketFeedOptions options;
    options.seed = seed;
    options.symbols = {"ACME", "GRPC"};
    options.max_symbols = 4;
    options.clock = [this] { return now_ms_; };
    return options;
  }
  int64_t now_ms_ = kStartMs;
};

TEST_F(MarketFeedTest, SubscriberGetsTheCurrentPriceFirstThenEveryTick) {
  MarketFeed feed(Options());
  RecordingSubscriber subscriber;
  ASSERT_TRUE(feed.Subscribe("ACME", &subscriber).ok());
  ASSERT_EQ(subscriber.updates.size(), 1u);
  EXPECT_EQ(subscriber.updates[0].symbol(), "ACME");
  EXPECT_EQ(subscriber.updates[0].timestamp(), kStartMs);
  EXPECT_EQ(subscriber.updates[0].price(), feed.Latest("ACME")->price());
  for (int i = 1; i <= 3; ++i) {
    now_ms_ += 100;
    feed.Tick();
  }
  ASSERT_EQ(subscriber.updates.size(), 4u);
  EXPECT_EQ(subscriber.updates.back().timestamp(), kStartMs + 300);
  feed.Unsubscribe("ACME", &subscriber);
  feed.Tick();
  EXPECT_EQ(subscriber.updates.size(), 4u);
  EXPECT_EQ(feed.SubscriberCount("ACME"), 0u);
}

TEST_F(MarketFeedTest, OneTickReachesEverySubscriberOfTheSymbolOnly) {
  MarketFeed feed(Options());
  std::vector<RecordingSubscriber> acme(10);
  RecordingSubscriber grpc;
  for (auto& s : acme) ASSERT_TRUE(feed.Subscribe("ACME", &s).ok());
  ASSERT_TRUE(feed.Subscribe("GRPC", &grpc).ok());
  feed.Tick();
  for (auto& s : acme) {
    ASSERT_EQ(s.updates.size(), 2u);
    EXPECT_EQ(s.updates[1].price(), acme[0].updates[1].price());
    EXPECT_EQ(s.updates[1].symbol(), "ACME");
  }
  ASSERT_EQ(grpc.updates.size(), 2u);
  EXPECT_EQ(grpc.updates[1].symbol(), "GRPC");
  for (auto& s : acme) feed.Unsubscribe("ACME", &s);
  feed.Unsubscribe("GRPC", &grpc);
}

TEST_F(MarketFeedTest, SameSeedSameWalkAcrossFeeds) {
  MarketFeed a(Options(7));
  MarketFeed b(Options(7));
  MarketFeed c(Options(8));
  for (int i = 0; i < 50; ++i) {
    a.Tick();
    b.Tick();
    c.Tick();
    ASSERT_EQ(a.Latest("ACME")->price(), b.Latest("ACME")->price()) << "tick " << i;
  }
  EXPECT_NE(a.Latest("ACME")->price(), c.Latest("ACME")->price());
}

TEST_F(MarketFeedTest, TimestampsNeverGoBackwardsWhenTheClockDoes) {
  MarketFeed feed(Options());
  now_ms_ -= 500;
  feed.Tick();
  EXPECT_EQ(feed.Latest("ACME")->timestamp(), kStartMs);
}

TEST_F(MarketFeedTest, UnknownSymbolIsNotFound) {
  MarketFeed feed(Options());
  RecordingSubscriber subscriber;
  EXPECT_EQ(feed.Latest("NOPE").status().code(), absl::StatusCode::kNotFound);
  const absl::Status status = feed.Subscribe("NOPE", &subscriber);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("NOPE"), std::string::npos);
  EXPECT_TRUE(subscriber.updates.empty());
}

TEST_F(MarketFeedTest, PublishAddsSymbolsReachesSubscribersAndSteersTheWalk) {
  MarketFeed feed(Options());
  ASSERT_TRUE(feed.Publish("NEWCO", 12.5f, 0).ok());
  EXPECT_EQ(feed.Latest("NEWCO")->price(), 12.5f);
  EXPECT_EQ(feed.Latest("NEWCO")->timestamp(), kStartMs);
  RecordingSubscriber subscriber;
  ASSERT_TRUE(feed.Subscribe("NEWCO", &subscriber).ok());
  ASSERT_TRUE(feed.Publish("NEWCO", 13.25f, 5555).ok());
  ASSERT_EQ(subscriber.updates.size(), 2u);
  EXPECT_EQ(subscriber.updates[1].price(), 13.25f);
  EXPECT_EQ(subscriber.updates[1].timestamp(), 5555);
  feed.Tick();  // published-only symbols do not walk
  EXPECT_EQ(subscriber.updates.size(), 2u);
  feed.Unsubscribe("NEWCO", &subscriber);

  ASSERT_TRUE(feed.Publish("ACME", 1000.0f, 0).ok());
  feed.Tick();
  EXPECT_NEAR(feed.Latest("ACME")->price(), 1000.0, 1000.0 * PriceWalk::kMaxStepFraction + 0.01);
}

TEST_F(MarketFeedTest, PublishRejectsBadTicks) {
  MarketFeed feed(Options());
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  const float kInf = std::numeric_limits<float>::infinity();
  struct Case {
    std::string symbol;
    float price;
    int64_t timestamp;
    std::string mentions;
  } cases[] = {
      {"ACME", kNaN, 0, "price"}, {"ACME", kInf, 0, "price"},      {"ACME", -kInf, 0, "price"},
      {"ACME", 0.0f, 0, "price"}, {"ACME", -1.0f, 0, "price"},     {"acme", 1.0f, 0, "symbol"},
      {"", 1.0f, 0, "symbol"},    {"ACME", 1.0f, -1, "timestamp"},
  };
  for (const auto& c : cases) {
    const absl::Status status = feed.Publish(c.symbol, c.price, c.timestamp);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.symbol << " " << c.price;
    EXPECT_NE(status.message().find(c.mentions), std::string::npos) << status.message();
  }
  EXPECT_EQ(feed.SymbolCount(), 2u);
}

TEST_F(MarketFeedTest, PublishedSymbolsAreBounded) {
  MarketFeed feed(Options());  // max_symbols 4, two configured
  EXPECT_TRUE(feed.Publish("A", 1.0f, 0).ok());
  EXPECT_TRUE(feed.Publish("B", 1.0f, 0).ok());
  const absl::Status status = feed.Publish("C", 1.0f, 0);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(status.message().find("max_symbols"), std::string::npos) << status.message();
  EXPECT_TRUE(feed.Publish("A", 2.0f, 0).ok());  // known symbols still update
}

TEST_F(MarketFeedTest, CloseEndsSubscriptionsAndRefusesNewOnes) {
  MarketFeed feed(Options());
  RecordingSubscriber subscriber;
  ASSERT_TRUE(feed.Subscribe("ACME", &subscriber).ok());
  feed.Close();
  EXPECT_TRUE(subscriber.closed);
  feed.Tick();
  EXPECT_EQ(subscriber.updates.size(), 1u);
  RecordingSubscriber late;
  EXPECT_EQ(feed.Subscribe("ACME", &late).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(feed.Publish("ACME", 1.0f, 0).code(), absl::StatusCode::kUnavailable);
  feed.Unsubscribe("ACME", &subscriber);
}

TEST_F(MarketFeedTest, DroppedTotalCountsOpenAndFinishedSubscribers) {
  MarketFeed feed(Options());
  RecordingSubscriber a;
  RecordingSubscriber b;
  ASSERT_TRUE(feed.Subscribe("ACME", &a).ok());
  ASSERT_TRUE(feed.Subscribe("GRPC", &b).ok());
  a.dropped = 3;
  b.dropped = 4;
  EXPECT_EQ(feed.DroppedTotal(), 7);
  feed.Unsubscribe("ACME", &a);
  EXPECT_EQ(feed.DroppedTotal(), 7);
  feed.Unsubscribe("GRPC", &b);
  EXPECT_EQ(feed.DroppedTotal(), 7);
}

}  // namespace
}  // namespace switchboard::stock
