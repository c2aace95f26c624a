// SubscriberRegistry with fake subscribers: routing by user, counting, limits, shutdown.
#include "services/notification/subscriber_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchboard::notification {
namespace {

class FakeSubscriber : public Subscriber {
 public:
  void OnRegistered() override { registered = true; }
  bool Deliver(const v1::Notification& notification) override {
    if (!accepting) return false;
    received.push_back(notification.title());
    return true;
  }
  void OnShutdown() override { shut_down = true; }

  bool registered = false;
  bool accepting = true;
  bool shut_down = false;
  std::vector<std::string> received;
};

v1::Notification For(const std::string& user_id, const std::string& title) {
  v1::Notification notification;
  notification.set_user_id(user_id);
  notification.set_title(title);
  return notification;
}

TEST(SubscriberRegistry, RoutesByUserAndCountsQueued) {
  SubscriberRegistry registry(10);
  FakeSubscriber alice1, alice2, bob;
  ASSERT_TRUE(registry.Add("alice", &alice1).ok());
  ASSERT_TRUE(registry.Add("alice", &alice2).ok());
  ASSERT_TRUE(registry.Add("bob", &bob).ok());
  EXPECT_TRUE(alice1.registered && alice2.registered && bob.registered);
  EXPECT_EQ(registry.CountFor("alice"), 2u);
  EXPECT_EQ(registry.Total(), 3u);

  EXPECT_EQ(registry.Publish(For("alice", "a1")), 2);
  alice2.accepting = false;  // e.g. its queue overflowed
  EXPECT_EQ(registry.Publish(For("alice", "a2")), 1);
  EXPECT_EQ(registry.Publish(For("carol", "c1")), 0);
  EXPECT_EQ(alice1.received, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(alice2.received, (std::vector<std::string>{"a1"}));
  EXPECT_TRUE(bob.received.empty());
}

TEST(SubscriberRegistry, RemoveIsIdempotent) {
  SubscriberRegistry registry(10);
  FakeSubscriber alice, stranger;
  ASSERT_TRUE(registry.Add("alice", &alice).ok());
  registry.Remove("alice", &stranger);
  registry.Remove("bob", &alice);
  EXPECT_EQ(registry.Total(), 1u);
  registry.Remove("alice", &alice);
  registry.Remove("alice", &alice);
  EXPECT_EQ(registry.Total(), 0u);
  EXPECT_EQ(registry.CountFor("alice"), 0u);
  EXPECT_EQ(registry.Publish(For("alice", "x")), 0);
}

TEST(SubscriberRegistry, LimitIsResourceExhaustedAndFreedByRemove) {
  SubscriberRegistry registry(2);
  FakeSubscriber a, b, c;
  ASSERT_TRUE(registry.Add("u1", &a).ok());
  ASSERT_TRUE(registry.Add("u2", &b).ok());
  absl::Status full = registry.Add("u3", &c);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("max_subscribers"), std::string::npos) << full;
  EXPECT_FALSE(c.registered);
  registry.Remove("u1", &a);
  EXPECT_TRUE(registry.Add("u3", &c).ok());
}

TEST(SubscriberRegistry, ResumingGetsWhatWasMissedThenLiveOnes) {
  SubscriberRegistry registry(10, {}, [] { return int64_t{0}; });
  FakeSubscriber first, resumed;
  ASSERT_TRUE(registry.Add("alice", &first).ok());
  for (const char* id : {"n1", "n2", "n3"}) {
    v1::Notification notification = For("alice", id);
    notification.set_id(id);
    registry.Publish(notification);
  }
  // Sent before this replica started: kept for resuming, delivered to no one.
  v1::Notification history = For("alice", "n4");
  history.set_id("n4");
  EXPECT_EQ(registry.Publish(history, /*deliver=*/false), 0);
  EXPECT_EQ(first.received, (std::vector<std::string>{"n1", "n2", "n3"}));
  ASSERT_TRUE(registry.Add("alice", &resumed, "n1").ok());
  EXPECT_EQ(resumed.received, (std::vector<std::string>{"n2", "n3", "n4"}));
  registry.Publish(For("alice", "n5"));
  EXPECT_EQ(resumed.received.back(), "n5");
  FakeSubscriber lost;
  EXPECT_EQ(registry.Add("alice", &lost, "gone").code(), absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(lost.registered);
  EXPECT_EQ(registry.CountFor("alice"), 2u);
}

TEST(SubscriberRegistry, ShutdownEndsEveryoneAndRefusesNewcomers) {
  SubscriberRegistry registry(10);
  FakeSubscriber a, b, late;
  ASSERT_TRUE(registry.Add("u1", &a).ok());
  ASSERT_TRUE(registry.Add("u2", &b).ok());
  registry.Shutdown();
  EXPECT_TRUE(a.shut_down);
  EXPECT_TRUE(b.shut_down);
  EXPECT_EQ(registry.Add("u3", &late).code(), absl::StatusCode::kUnavailable);
  // Streams still unsubscribe themselves when they end.
  registry.Remove("u1", &a);
  registry.Remove("u2", &b);
  EXPECT_EQ(registry.Total(), 0u);
}

}  // namespace
}  // namespace switchboard::notification
