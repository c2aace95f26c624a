// BusHealth on both buses: the in-process bus is always serving; with a real nats-server a kill
// reports false and a restart true, Stop waits for a report in progress, and nothing is
// reported once Stop has returned.
#include "common/bus/bus_health.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "common/bus/bus_test_support.h"
#include "common/bus/in_process_bus.h"
#include "common/bus/nats_bus.h"
#include "common/bus/testing/nats_server.h"

namespace switchboard::bus {
namespace {

using testing::ConnectionLog;

constexpr auto kPollInterval = std::chrono::milliseconds(20);
// Long enough for a Stop that does not wait to have returned.
constexpr auto kStillRunning = std::chrono::milliseconds(300);

TEST(BusHealthInProcess, ReportsServingOnceAndNothingAfterStop) {
  auto bus = std::make_shared<InProcessBus>();
  ConnectionLog reports;
  BusHealth health;
  health.Attach(bus, reports.AsHandler());
  EXPECT_EQ(reports.seen(), std::vector<bool>{true});
  health.Stop();
  health.Stop();  // a second Stop is harmless
  health.Attach(bus, reports.AsHandler());
  EXPECT_EQ(reports.seen(), std::vector<bool>{true});
}

TEST(BusHealthInProcess, WithoutABusNothingIsReported) {
  ConnectionLog reports;
  BusHealth health;
  health.Attach(nullptr, reports.AsHandler());
  EXPECT_TRUE(reports.seen().empty());
}

class BusHealthNats : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    NatsOptions options;
    options.url = server_->url();
    options.client_name = "bus-health";
    auto bus = NatsBus::Connect(options);
    ASSERT_TRUE(bus.ok()) << bus.status();
    bus_ = std::move(*bus);
  }

  std::unique_ptr<testing::NatsServer> server_;
  std::shared_ptr<NatsBus> bus_;
};

TEST_F(BusHealthNats, FollowsTheServerAndStopsReporting) {
  ConnectionLog reports;
  BusHealth health;
  health.Attach(bus_, reports.AsHandler());
  ASSERT_TRUE(reports.WaitFor({true})) << reports.seen().size();
  server_->Kill();
  ASSERT_TRUE(reports.WaitFor({true, false})) << reports.seen().size();
  ASSERT_TRUE(server_->Restart().ok()) << server_->Output();
  ASSERT_TRUE(reports.WaitFor({true, false, true})) << reports.seen().size();

  health.Stop();
  // A watch of its own, started after the health's: the bus tells its watches in order under
  // one lock, so once this one has heard of the loss, a live health watch would have too.
  ConnectionLog witness;
  auto watch = bus_->WatchConnection(witness.AsHandler());
  server_->Kill();
  ASSERT_TRUE(witness.WaitFor({false})) << witness.seen().size();
  ASSERT_TRUE(server_->Restart().ok()) << server_->Output();
  ASSERT_TRUE(witness.WaitFor({false, true})) << witness.seen().size();
  EXPECT_EQ(reports.seen(), (std::vector<bool>{true, false, true}));
}

TEST_F(BusHealthNats, StopWaitsForAReportInProgress) {
  std::promise<void> reporting, release;
  std::atomic<bool> told{false};
  std::shared_future<void> released = release.get_future().share();
  BusHealth health;
  health.Attach(bus_, [&, released](bool serving) {
    if (serving || told.exchange(true)) return;  // the first loss only
    reporting.set_value();
    released.wait_for(testing::kReconnectWait);  // bounded even if the test fails
  });
  server_->Kill();
  ASSERT_EQ(reporting.get_future().wait_for(testing::kReconnectWait), std::future_status::ready);
  auto stopped = std::async(std::launch::async, [&] { health.Stop(); });
  EXPECT_EQ(stopped.wait_for(kStillRunning), std::future_status::timeout);
  release.set_value();
  EXPECT_EQ(stopped.wait_for(testing::kReconnectWait), std::future_status::ready);
}

TEST_F(BusHealthNats, OnlyTheFirstAttachCounts) {
  ConnectionLog first, second;
  BusHealth health;
  health.Attach(bus_, first.AsHandler());
  health.Attach(bus_, second.AsHandler());
  server_->Kill();
  ASSERT_TRUE(first.WaitFor({true, false})) << first.seen().size();
  EXPECT_TRUE(second.seen().empty());
}

TEST_F(BusHealthNats, AttachedWhileDownReportsNotServingFirst) {
  server_->Kill();
  const auto deadline = std::chrono::steady_clock::now() + testing::kReconnectWait;
  while (bus_->Connected() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  ASSERT_FALSE(bus_->Connected());
  ConnectionLog reports;
  BusHealth health;
  health.Attach(bus_, reports.AsHandler());
  EXPECT_EQ(reports.seen(), std::vector<bool>{false});
  ASSERT_TRUE(server_->Restart().ok()) << server_->Output();
  ASSERT_TRUE(reports.WaitFor({false, true})) << reports.seen().size();
}

}  // namespace
}  // namespace switchboard::bus
