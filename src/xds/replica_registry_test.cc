#include "xds/replica_registry.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::xds {
namespace {

using std::chrono::milliseconds;

class FakeClock {
 public:
  std::chrono::steady_clock::time_point Now() const { return now_; }
  void Advance(milliseconds by) { now_ += by; }

 private:
  std::chrono::steady_clock::time_point now_{};
};

struct Fixture {
  FakeClock clock;
  int changes = 0;
  ReplicaRegistry registry{milliseconds(3000), RegistryLimits{}, [this] { return clock.Now(); }};
  Fixture() {
    registry.SetChangeListener([this] { ++changes; });
  }
};

TEST(ReplicaRegistry, RegisterListAndRefresh) {
  Fixture f;
  ASSERT_TRUE(f.registry.Register("ticket", "127.0.0.1:5001", "ticket-1", 0).ok());
  ASSERT_TRUE(f.registry.Register("ticket", "127.0.0.1:5002", "ticket-2", 4).ok());
  ASSERT_TRUE(f.registry.Register("stock", "127.0.0.1:5003", "stock-1", 1).ok());
  EXPECT_EQ(f.changes, 3);
  auto tickets = f.registry.List("ticket");
  ASSERT_EQ(tickets.size(), 2u);
  EXPECT_EQ(tickets[0].server_id, "ticket-1");
  EXPECT_EQ(tickets[0].weight, 1u);  // 0 means 1
  EXPECT_EQ(tickets[1].weight, 4u);
  EXPECT_EQ(tickets[1].endpoint.port, 5002u);
  EXPECT_EQ(f.registry.List().size(), 3u);

  // Registering again with the same service and address is a refresh: the weight an operator
  // set stays, and nothing changes for clients.
  ASSERT_TRUE(f.registry.SetWeight("ticket-1", 7).ok());
  EXPECT_EQ(f.changes, 4);
  ASSERT_TRUE(f.registry.Register("ticket", "127.0.0.1:5001", "ticket-1", 1).ok());
  EXPECT_EQ(f.changes, 4);
  EXPECT_EQ(f.registry.List("ticket")[0].weight, 7u);
}

TEST(ReplicaRegistry, BadInputIsRefusedWithTheField) {
  Fixture f;
  ASSERT_TRUE(f.registry.Register("ticket", "127.0.0.1:5001", "ticket-1", 1).ok());
  struct Case {
    std::string service, address, server_id;
    uint32_t weight;
    absl::StatusCode code;
    const char* expected;
  } cases[] = {
      {"", "127.0.0.1:1", "a", 1, absl::StatusCode::kInvalidArgument, "service is empty"},
      {"tick et", "127.0.0.1:1", "a", 1, absl::StatusCode::kInvalidArgument, "service \"tick et\""},
      {"ticket", "127.0.0.1:1", "", 1, absl::StatusCode::kInvalidArgument, "server_id is empty"},
      {"ticket", "127.0.0.1:1", "a b", 1, absl::StatusCode::kInvalidArgument, "server_id \"a b\""},
      {"ticket", std::string(300, 'x'), "a", 1, absl::StatusCode::kInvalidArgument, "address"},
      {"ticket", "host:1", "a", 1, absl::StatusCode::kInvalidArgument, "address \"host:1\""},
      {"ticket", "127.0.0.1:1", "a", 10001, absl::StatusCode::kInvalidArgument,
       "initial_weight 10001"},
      {std::string(201, 's'), "127.0.0.1:1", "a", 1, absl::StatusCode::kInvalidArgument,
       "service has 201 bytes"},
      {"stock", "127.0.0.1:5001", "ticket-1", 1, absl::StatusCode::kAlreadyExists,
       "registered as ticket at 127.0.0.1:5001"},
      {"ticket", "127.0.0.1:5009", "ticket-1", 1, absl::StatusCode::kAlreadyExists,
       "registered as ticket"},
  };
  for (const auto& c : cases) {
    const absl::Status status = f.registry.Register(c.service, c.address, c.server_id, c.weight);
    EXPECT_EQ(status.code(), c.code) << c.expected << ": " << status;
    EXPECT_NE(std::string(status.message()).find(c.expected), std::string::npos) << status;
  }
  EXPECT_EQ(f.registry.List().size(), 1u);

  auto unknown = f.registry.SetWeight("nope", 2);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(unknown.status().message()).find("\"nope\""), std::string::npos);
  EXPECT_EQ(f.registry.SetWeight("ticket-1", 10001).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.registry.SetWeight("", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.registry.Heartbeat("nope", {}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(f.registry.Deregister("nope").code(), absl::StatusCode::kNotFound);
}

TEST(ReplicaRegistry, HeartbeatsKeepReplicasAndSilenceExpiresThem) {
  Fixture f;
  ASSERT_TRUE(f.registry.Register("ticket", "127.0.0.1:5001", "ticket-1", 1).ok());
  ASSERT_TRUE(f.registry.Register("ticket", "127.0.0.1:5002", "ticket-2", 1).ok());
  // ticket-1 heartbeats every second; ticket-2, registered at t=0, never does.
  for (int i = 0; i < 2; ++i) {
    f.clock.Advance(milliseconds(1000));
    ASSERT_TRUE(f.registry.Heartbeat("ticket-1", {3, 100}).ok());
    EXPECT_TRUE(f.registry.ExpireStale().empty()) << i;
  }
  f.clock.Advance(milliseconds(1000));
  ASSERT_TRUE(f.registry.Heartbeat("ticket-1", {3, 100}).ok());
  EXPECT_EQ(f.registry.ExpireStale(), std::vector<std::string>{"ticket-2"});
  auto left = f.registry.List();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].server_id, "ticket-1");
  EXPECT_EQ(left[0].last_load.in_flight_calls, 3u);
  EXPECT_EQ(left[0].last_load.calls_served, 100u);
  const int before = f.changes;
  f.clock.Advance(milliseconds(2999));
  EXPECT_TRUE(f.registry.ExpireStale().empty());
  f.clock.Advance(milliseconds(1));
  EXPECT_EQ(f.registry.ExpireStale(), std::vector<std::string>{"ticket-1"});
  EXPECT_EQ(f.changes, before + 1);
  EXPECT_TRUE(f.registry.List().empty());
  EXPECT_EQ(f.registry.Heartbeat("ticket-1", {}).code(), absl::StatusCode::kNotFound);
}

TEST(ReplicaRegistry, DeregisterRemovesAtOnce) {
  Fixture f;
  ASSERT_TRUE(f.registry.Register("ticket", "127.0.0.1:5001", "ticket-1", 1).ok());
  ASSERT_TRUE(f.registry.Deregister("ticket-1").ok());
  EXPECT_TRUE(f.registry.List().empty());
  EXPECT_EQ(f.changes, 2);
}

TEST(ReplicaRegistry, TheReplicaLimitHolds) {
  FakeClock clock;
  RegistryLimits limits;
  limits.max_replicas = 2;
  ReplicaRegistry registry(milliseconds(1000), limits, [&clock] { return clock.Now(); });
  ASSERT_TRUE(registry.Register("a", "127.0.0.1:1", "a-1", 1).ok());
  ASSERT_TRUE(registry.Register("a", "127.0.0.1:2", "a-2", 1).ok());
  const absl::Status third = registry.Register("a", "127.0.0.1:3", "a-3", 1);
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted) << third;
  // A known replica can still refresh.
  EXPECT_TRUE(registry.Register("a", "127.0.0.1:2", "a-2", 1).ok());
}

}  // namespace
}  // namespace switchboard::xds
