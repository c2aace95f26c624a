// NatsBus against a real nats-server (JetStream on, free loopback port, temporary store):
// two connections as two replicas, fan-out in order, a clear error when no server is there,
// and a server killed and restarted in the middle of a retained stream.
#include "common/bus/nats_bus.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "common/bus/bus_test_support.h"
#include "common/bus/testing/nats_server.h"
#include "testing/child_process.h"

namespace switchboard::bus {
namespace {

using testing::ConnectionLog;
using testing::kReconnectWait;
using testing::Numbered;
using testing::Recorder;

std::unique_ptr<NatsBus> ConnectTo(const std::string& url, const std::string& name) {
  NatsOptions options;
  options.url = url;
  options.client_name = name;
  auto bus = NatsBus::Connect(options);
  EXPECT_TRUE(bus.ok()) << bus.status();
  return bus.ok() ? std::move(*bus) : nullptr;
}

StreamSpec NotifyStream() {
  StreamSpec spec;
  spec.name = "TEST_NOTIFY";
  spec.subjects = "t.notify.>";
  spec.max_age = std::chrono::minutes(1);
  return spec;
}

class NatsBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    a_ = ConnectTo(server_->url(), "replica-a");
    b_ = ConnectTo(server_->url(), "replica-b");
    ASSERT_TRUE(a_ && b_);
  }

  std::unique_ptr<testing::NatsServer> server_;
  std::unique_ptr<NatsBus> a_, b_;
};

TEST(NatsBusUrl, BadUrlsAreNamed) {
  for (const char* url : {"127.0.0.1:4222", "nats://", "nats://host", "nats://:4222", "nats://h:0",
                          "nats://h:70000", "nats://u:p@h:4222", "nats://h:1/x"}) {
    absl::Status status = ValidateNatsUrl(url);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_NE(status.message().find(url), std::string::npos) << status;
  }
  EXPECT_TRUE(ValidateNatsUrl("nats://127.0.0.1:4222").ok());
}

TEST(NatsBusConnect, NoServerIsAClearUnavailable) {
  const int port = switchboard::testing::FreePort();
  NatsOptions options;
  options.url = "nats://127.0.0.1:" + std::to_string(port);
  const auto started = std::chrono::steady_clock::now();
  auto bus = NatsBus::Connect(options);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(bus.status().message().find(options.url), std::string::npos) << bus.status();
  EXPECT_NE(bus.status().message().find("cannot connect"), std::string::npos) << bus.status();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(NatsBusTest, WhatOneReplicaPublishesReachesBothInOrder) {
  Recorder on_a, on_b;
  auto sa = a_->Subscribe("t.stock.>", on_a.AsHandler(), {});
  auto sb = b_->Subscribe("t.stock.>", on_b.AsHandler(), {});
  ASSERT_TRUE(sa.ok() && sb.ok());
  // A round trip on each connection, so both subscriptions are live at the server.
  ASSERT_TRUE(a_->Publish("t.sync", "").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  constexpr int kMessages = 500;
  for (const std::string& data : Numbered("tick", kMessages)) {
    ASSERT_TRUE(a_->Publish("t.stock.ACME", data).ok());
  }
  ASSERT_TRUE(on_a.WaitForCount(kMessages));
  ASSERT_TRUE(on_b.WaitForCount(kMessages));
  EXPECT_EQ(on_a.data(), Numbered("tick", kMessages));
  EXPECT_EQ(on_b.data(), Numbered("tick", kMessages));
}

TEST_F(NatsBusTest, ASlowSubscriberDropsAndCountsWhileOthersGetEverything) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Recorder slow, fast;
  slow.BlockWith([released] { released.wait(); });
  SubscribeOptions small;
  small.queue_messages = 8;
  auto slow_sub = b_->Subscribe("t.x", slow.AsHandler(), small);
  auto fast_sub = b_->Subscribe("t.x", fast.AsHandler(), {});
  ASSERT_TRUE(slow_sub.ok() && fast_sub.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  constexpr int kMessages = 1000;
  const auto started = std::chrono::steady_clock::now();
  for (const std::string& data : Numbered("m", kMessages))
    ASSERT_TRUE(a_->Publish("t.x", data).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  ASSERT_TRUE(fast.WaitForCount(kMessages));
  EXPECT_EQ(fast.data(), Numbered("m", kMessages));
  EXPECT_GT((*slow_sub)->Dropped(), kMessages / 2);
  EXPECT_EQ((*fast_sub)->Dropped(), 0);
  release.set_value();
  slow.WaitForCount(kMessages - (*slow_sub)->Dropped(), std::chrono::seconds(2));
  EXPECT_LE(slow.received().size(), 10u);
}

TEST_F(NatsBusTest, RetainedSubjectsHaveOneOrderAndReplay) {
  ASSERT_TRUE(a_->Retain(NotifyStream()).ok());
  ASSERT_TRUE(b_->Retain(NotifyStream()).ok());  // a second replica declares it again
  Recorder live_b;
  auto sb = b_->Subscribe("t.notify.>", live_b.AsHandler(), {});
  ASSERT_TRUE(sb.ok()) << sb.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 20; ++i) {
    NatsBus* via = i % 2 ? a_.get() : b_.get();  // Notify calls spread over replicas
    ASSERT_TRUE(via->Publish("t.notify.u1", "n" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(live_b.WaitForCount(20));
  EXPECT_EQ(live_b.data(), Numbered("n", 20));
  // A replica that starts later replays what the stream holds, with the same sequences.
  Recorder replayed;
  SubscribeOptions replay;
  replay.replay = true;
  auto sr = a_->Subscribe("t.notify.>", replayed.AsHandler(), replay);
  ASSERT_TRUE(sr.ok());
  ASSERT_TRUE(replayed.WaitForCount(20));
  const auto live = live_b.received();
  const auto again = replayed.received();
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(again[i].data, live[i].data);
    EXPECT_EQ(again[i].sequence, live[i].sequence);
    EXPECT_EQ(live[i].sequence, i + 1);
  }
}

TEST_F(NatsBusTest, ALeaseHasOneHolderAndPassesOnWhenNotRenewed) {
  const auto ttl = std::chrono::milliseconds(1000);
  auto a = a_->HoldLease("TEST_LEADER", "a", ttl);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(*a);
  EXPECT_FALSE(*b_->HoldLease("TEST_LEADER", "b", ttl));
  EXPECT_TRUE(*a_->HoldLease("TEST_LEADER", "a", ttl));  // renewal
  // a stops renewing (as if it died): b has it within about one ttl, and a has lost it.
  const auto stopped = std::chrono::steady_clock::now();
  bool b_holds = false;
  while (!b_holds && std::chrono::steady_clock::now() - stopped < 4 * ttl) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    b_holds = *b_->HoldLease("TEST_LEADER", "b", ttl);
  }
  ASSERT_TRUE(b_holds);
  EXPECT_GE(std::chrono::steady_clock::now() - stopped, ttl / 2);
  EXPECT_FALSE(*a_->HoldLease("TEST_LEADER", "a", ttl));
}

TEST_F(NatsBusTest, AServerRestartLosesNothingItStored) {
  ASSERT_TRUE(a_->Retain(NotifyStream()).ok());
  Recorder on_b;
  auto sb = b_->Subscribe("t.notify.>", on_b.AsHandler(), {});
  ASSERT_TRUE(sb.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(a_->Publish("t.notify.u1", "n" + std::to_string(i)).ok());
  ASSERT_TRUE(on_b.WaitForCount(10));

  server_->Kill();
  // While the server is down a retained publish fails: the caller knows it was not stored.
  const auto down = std::chrono::steady_clock::now();
  absl::Status refused = a_->Publish("t.notify.u1", "lost");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_LT(std::chrono::steady_clock::now() - down, std::chrono::seconds(10));
  EXPECT_FALSE(a_->Connected());

  ASSERT_TRUE(server_->Restart().ok()) << server_->Output();
  const auto deadline = std::chrono::steady_clock::now() + kReconnectWait;
  while (!(a_->Connected() && b_->Connected()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(a_->Connected() && b_->Connected());
  EXPECT_GE(a_->reconnects(), 1);
  // Published after the restart, through the other replica: b's consumer resumes after n9.
  for (int i = 10; i < 20; ++i) {
    absl::Status published;
    // The stream comes back with the server a moment after clients reconnect.
    for (int attempt = 0; attempt < 50; ++attempt) {
      published = a_->Publish("t.notify.u1", "n" + std::to_string(i));
      if (published.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(published.ok()) << published;
  }
  ASSERT_TRUE(on_b.WaitForCount(20, kReconnectWait)) << on_b.received().size();
  EXPECT_EQ(on_b.data(), Numbered("n", 20));
}

TEST_F(NatsBusTest, LastSequenceIsPerSubjectAndZeroWhenNone) {
  ASSERT_TRUE(a_->Retain(NotifyStream()).ok());
  ASSERT_TRUE(b_->Retain(NotifyStream()).ok());
  EXPECT_EQ(*a_->LastSequence("t.notify.u1"), 0u);
  ASSERT_TRUE(a_->Publish("t.notify.u1", "x").ok());  // sequence 1
  ASSERT_TRUE(b_->Publish("t.notify.u2", "y").ok());  // sequence 2
  ASSERT_TRUE(a_->Publish("t.notify.u1", "z").ok());  // sequence 3
  EXPECT_EQ(*b_->LastSequence("t.notify.u1"), 3u);
  EXPECT_EQ(*b_->LastSequence("t.notify.u2"), 2u);
  EXPECT_EQ(a_->LastSequence("t.other").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(NatsBusTest, AConnectionWatchIsToldOfTheLossAndTheReturn) {
  ConnectionLog log, ended;
  auto watch = a_->WatchConnection(log.AsHandler());
  auto gone = a_->WatchConnection(ended.AsHandler());
  gone.reset();  // an ended watch is told nothing
  server_->Kill();
  ASSERT_TRUE(log.WaitFor({false})) << log.seen().size();
  ASSERT_TRUE(server_->Restart().ok()) << server_->Output();
  ASSERT_TRUE(log.WaitFor({false, true})) << log.seen().size();
  EXPECT_TRUE(a_->Connected());
  EXPECT_TRUE(ended.seen().empty());
}

}  // namespace
}  // namespace switchboard::bus
