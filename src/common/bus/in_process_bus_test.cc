// InProcessBus: wildcard fan-out in publish order, bounded queues that drop and count without
// blocking the publisher, retained replay within its limits, unsubscribing.
#include "common/bus/in_process_bus.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "common/bus/bus_test_support.h"

namespace switchboard::bus {
namespace {

using testing::Numbered;
using testing::Recorder;

TEST(InProcessBus, WildcardSubscribersGetEveryMatchInPublishOrder) {
  InProcessBus bus;
  Recorder all, acme, other;
  auto s1 = bus.Subscribe("sb.stock.>", all.AsHandler(), {});
  auto s2 = bus.Subscribe("sb.stock.ACME", acme.AsHandler(), {});
  auto s3 = bus.Subscribe("sb.notify.*", other.AsHandler(), {});
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
  for (const std::string& data : Numbered("p", 100)) {
    ASSERT_TRUE(bus.Publish(data.back() % 2 ? "sb.stock.ACME" : "sb.stock.GRPC", data).ok());
  }
  ASSERT_TRUE(all.WaitForCount(100));
  ASSERT_TRUE(acme.WaitForCount(50));
  EXPECT_EQ(all.data(), Numbered("p", 100));
  EXPECT_EQ(acme.received().front().subject, "sb.stock.ACME");
  EXPECT_TRUE(other.received().empty());
}

TEST(InProcessBus, BadSubjectsAreInvalidArgument) {
  InProcessBus bus;
  Recorder r;
  EXPECT_EQ(bus.Publish("sb.>", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bus.Publish("sb..x", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bus.Subscribe("sb.a b", r.AsHandler(), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(InProcessBus, ASlowSubscriberDropsAndCountsWithoutBlockingThePublisher) {
  InProcessBus bus;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Recorder slow, fast;
  std::atomic<bool> entered{false};
  slow.BlockWith([released, &entered] {
    entered = true;
    released.wait();
  });
  SubscribeOptions small;
  small.queue_messages = 8;
  auto slow_sub = bus.Subscribe("sb.x", slow.AsHandler(), small);
  auto fast_sub = bus.Subscribe("sb.x", fast.AsHandler(), {});
  ASSERT_TRUE(slow_sub.ok() && fast_sub.ok());
  constexpr int kMessages = 1000;
  const auto started = std::chrono::steady_clock::now();
  const auto data = Numbered("m", kMessages);
  ASSERT_TRUE(bus.Publish("sb.x", data[0]).ok());
  for (int i = 0; i < 1000 && !entered; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(entered) << "the slow handler never started";
  for (int i = 1; i < kMessages; ++i) ASSERT_TRUE(bus.Publish("sb.x", data[i]).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  ASSERT_TRUE(fast.WaitForCount(kMessages));
  // One in the handler, eight queued, the rest dropped.
  EXPECT_EQ((*slow_sub)->Dropped(), kMessages - 1 - 8);
  EXPECT_EQ((*fast_sub)->Dropped(), 0);
  release.set_value();
  ASSERT_TRUE(slow.WaitForCount(9));
  const auto got = slow.data();
  EXPECT_EQ(got.front(), "m0");
  EXPECT_EQ(got.back(), "m8");
}

TEST(InProcessBus, RetainedSubjectsReplayWithinTheirLimitsThenGoLive) {
  std::atomic<int64_t> now{1000};
  InProcessBus bus([&] { return now.load(); });
  StreamSpec spec;
  spec.name = "NOTIFY";
  spec.subjects = "sb.notify.>";
  spec.max_age = std::chrono::milliseconds(500);
  spec.max_messages_per_subject = 3;
  ASSERT_TRUE(bus.Retain(spec).ok());
  ASSERT_TRUE(bus.Publish("sb.notify.a", "old").ok());
  now += 600;  // "old" is past max_age now
  for (const std::string& data : Numbered("a", 5))
    ASSERT_TRUE(bus.Publish("sb.notify.a", data).ok());
  ASSERT_TRUE(bus.Publish("sb.notify.b", "b0").ok());
  ASSERT_TRUE(bus.Publish("sb.other", "not retained").ok());
  Recorder replayed;
  SubscribeOptions replay;
  replay.replay = true;
  auto sub = bus.Subscribe("sb.notify.>", replayed.AsHandler(), replay);
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(bus.Publish("sb.notify.a", "live").ok());
  ASSERT_TRUE(replayed.WaitForCount(5));
  EXPECT_EQ(replayed.data(), (std::vector<std::string>{"a2", "a3", "a4", "b0", "live"}));
  // Sequences are the stream's order, counting what was dropped by the limits.
  const auto got = replayed.received();
  EXPECT_EQ(got[0].sequence, 4u);
  EXPECT_EQ(got[4].sequence, 8u);
}

TEST(InProcessBus, ALeaseHasOneHolderUntilItExpires) {
  std::atomic<int64_t> now{0};
  InProcessBus bus([&] { return now.load(); });
  const auto ttl = std::chrono::milliseconds(100);
  EXPECT_TRUE(*bus.HoldLease("L", "a", ttl));
  EXPECT_FALSE(*bus.HoldLease("L", "b", ttl));
  now += 90;
  EXPECT_TRUE(*bus.HoldLease("L", "a", ttl));  // renewed: good until 190
  now += 90;
  EXPECT_FALSE(*bus.HoldLease("L", "b", ttl));
  EXPECT_TRUE(*bus.HoldLease("other", "b", ttl));
  now += 20;  // a stopped renewing at 90
  EXPECT_TRUE(*bus.HoldLease("L", "b", ttl));
  EXPECT_FALSE(*bus.HoldLease("L", "a", ttl));
}

TEST(InProcessBus, NothingArrivesAfterUnsubscribing) {
  InProcessBus bus;
  Recorder r;
  auto sub = bus.Subscribe("sb.x", r.AsHandler(), {});
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(bus.Publish("sb.x", "1").ok());
  ASSERT_TRUE(r.WaitForCount(1));
  sub->reset();
  ASSERT_TRUE(bus.Publish("sb.x", "2").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(r.data(), (std::vector<std::string>{"1"}));
}

TEST(InProcessBus, LastSequenceIsPerSubjectAndZeroWhenNone) {
  InProcessBus bus;
  StreamSpec spec;
  spec.name = "ROOMS";
  spec.subjects = "sb.room.>";
  ASSERT_TRUE(bus.Retain(spec).ok());
  EXPECT_EQ(*bus.LastSequence("sb.room.a"), 0u);
  ASSERT_TRUE(bus.Publish("sb.room.a", "1").ok());
  ASSERT_TRUE(bus.Publish("sb.room.b", "2").ok());
  EXPECT_EQ(*bus.LastSequence("sb.room.a"), 1u);
  EXPECT_EQ(*bus.LastSequence("sb.room.b"), 2u);
  EXPECT_EQ(bus.LastSequence("sb.other").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(bus.LastSequence("sb.room.*").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace switchboard::bus
