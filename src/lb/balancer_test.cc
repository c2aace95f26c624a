#include "lb/balancer.h"

#include <gtest/gtest.h>

#include <map>

namespace switchboard::lb {
namespace {

using std::chrono::milliseconds;

std::shared_ptr<Balancer> Make(const std::string& policy, std::vector<EndpointSpec> specs) {
  BalancerOptions options;
  options.policy = policy;
  options.outlier.consecutive_failures = 2;
  auto balancer = Balancer::Create("pkg.Svc", options, specs, 1);
  EXPECT_TRUE(balancer.ok()) << balancer.status();
  return *balancer;
}

TEST(Balancer, SkipsUnhealthyEjectedAndTried) {
  auto b = Make(kRoundRobin, {{"a:1"}, {"b:1"}, {"c:1"}});
  const Clock::time_point now{};
  Endpoint& a = *b->endpoints()[0];
  Endpoint& c = *b->endpoints()[2];
  b->RecordCheck(a, false);
  b->RecordCheck(a, false);
  EXPECT_FALSE(a.health.healthy());
  EXPECT_TRUE(b->RecordResult(c, true, now) == false && b->RecordResult(c, true, now));
  for (int i = 0; i < 5; ++i) {
    auto picked = b->Pick(nullptr, {}, now);
    ASSERT_TRUE(picked.ok());
    EXPECT_EQ((*picked)->address, "b:1");
  }
  auto none = b->Pick(nullptr, {b->endpoints()[1].get()}, now);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(none.status().message(), "no healthy backend for pkg.Svc");
  // The ejection runs out; the failed health check still holds a.
  auto later = b->Pick(nullptr, {b->endpoints()[1].get()}, now + milliseconds(1000));
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)->address, "c:1");
  // Healthy again: a is back and its ejection history is gone.
  EXPECT_TRUE(b->RecordCheck(a, true));
  auto back = b->Pick(nullptr, {b->endpoints()[1].get(), b->endpoints()[2].get()}, now);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)->address, "a:1");
}

TEST(Balancer, UpdateKeepsStateOfStayingEndpointsAndDrainsRemoved) {
  auto b = Make(kRoundRobin, {{"a:1"}, {"b:1"}, {"c:1"}});
  auto kept = b->endpoints()[0];
  kept->in_flight = 4;
  kept->requests = 10;
  auto removed_ptr = b->endpoints()[1];
  BalancerOptions options = b->options();
  options.policy = kWeighted;
  auto removed = b->Update(options, {{"a:1", 3}, {"c:1"}, {"d:1"}});
  ASSERT_TRUE(removed.ok());
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ((*removed)[0], removed_ptr);
  EXPECT_TRUE(removed_ptr->draining);
  EXPECT_EQ(b->endpoints()[0], kept);
  EXPECT_EQ(kept->weight, 3);
  EXPECT_EQ(kept->requests, 10u);
  std::map<std::string, int> picks;
  for (int i = 0; i < 50; ++i) ++picks[(*b->Pick(nullptr, {}, Clock::time_point{}))->address];
  EXPECT_EQ(picks["a:1"], 30);
  EXPECT_EQ(picks["b:1"], 0);
  // A bad update changes nothing.
  options.policy = "nope";
  EXPECT_FALSE(b->Update(options, {{"x:1"}}).ok());
  EXPECT_EQ(b->endpoints().size(), 3u);
  EXPECT_EQ(b->options().policy, kWeighted);
  EXPECT_FALSE(b->Update(b->options(), {{"x:1"}, {"x:1"}}).ok());
  // Turning health checks off brings a checked-down endpoint back.
  b->RecordCheck(*kept, false);
  b->RecordCheck(*kept, false);
  ASSERT_FALSE(kept->health.healthy());
  options = b->options();
  options.health.enabled = false;
  ASSERT_TRUE(b->Update(options, {{"a:1", 3}, {"c:1"}, {"d:1"}}).ok());
  EXPECT_TRUE(kept->health.healthy());
  EXPECT_FALSE(b->Update(b->options(), {}).ok());
}

TEST(Balancer, RingHashKeyPinsAndFallsOver) {
  auto b = Make(kRingHash, {{"a:1"}, {"b:1"}, {"c:1"}});
  const std::string key = "room-42";
  const Clock::time_point now{};
  auto first = *b->Pick(&key, {}, now);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(*b->Pick(&key, {}, now), first);
  auto second = *b->Pick(&key, {first.get()}, now);
  EXPECT_NE(second, first);
}

}  // namespace
}  // namespace switchboard::lb
