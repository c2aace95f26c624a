// Notification replicas sharing a bus: the same user's subscribers on every replica receive
// every notification, in one order, wherever Notify was called; a subscriber resumes on any
// replica from the last id it saw; a NATS restart in the middle loses nothing acknowledged; a
// replica says NOT_SERVING while its nats-server is away. Replicas run in this process on a
// shared InProcessBus, or on a real nats-server.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/bus/in_process_bus.h"
#include "common/bus/nats_bus.h"
#include "common/bus/testing/nats_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/notification/notification_service.h"
#include "services/notification/subscriber_registry.h"
#include "switchboard/notification/v1/notification.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/test_server.h"

namespace switchboard::notification {
namespace {

using Clock = std::chrono::steady_clock;
using HealthStatus = grpc::health::v1::HealthCheckResponse;
constexpr auto kWait = std::chrono::seconds(15);
constexpr auto kStreamDeadline = std::chrono::seconds(60);
constexpr auto kHealthDeadline = std::chrono::seconds(5);

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::unique_ptr<switchboard::testing::TestServer> StartReplica(std::shared_ptr<bus::Bus> bus) {
  auto factory = [bus](const common::ServiceOptions& options)
      -> absl::StatusOr<std::unique_ptr<common::Service>> {
    auto made = NewNotificationService(options, SystemNowMs, bus);
    if (!made.ok()) return made.status();
    return std::unique_ptr<common::Service>(std::move(*made));
  };
  return std::make_unique<switchboard::testing::TestServer>(factory);
}

std::shared_ptr<bus::Bus> NatsAt(const std::string& url, const std::string& name) {
  bus::NatsOptions options;
  options.url = url;
  options.client_name = name;
  auto connected = bus::NatsBus::Connect(options);
  EXPECT_TRUE(connected.ok()) << connected.status();
  return connected.ok() ? std::shared_ptr<bus::Bus>(std::move(*connected)) : nullptr;
}

// One Subscribe stream read on its own thread.
class Subscriber {
 public:
  Subscriber(switchboard::testing::TestServer& replica, const std::string& user_id,
             const std::string& after_id = "")
      : stub_(v1::NotificationService::NewStub(replica.NewChannel())) {
    context_.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
    v1::SubscribeRequest request;
    request.set_user_id(user_id);
    request.set_after_id(after_id);
    reader_ = stub_->Subscribe(&context_, request);
    reader_->WaitForInitialMetadata();  // registered (or refused) from here on
    thread_ = std::thread([this] {
      v1::Notification notification;
      while (reader_->Read(&notification)) {
        std::lock_guard<std::mutex> lock(mutex_);
        titles_.push_back(notification.title());
        ids_.push_back(notification.id());
      }
      grpc::Status status = reader_->Finish();
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = status;
      ended_ = true;
    });
  }
  ~Subscriber() {
    context_.TryCancel();
    thread_.join();
  }
  std::vector<std::string> titles() {
    std::lock_guard<std::mutex> lock(mutex_);
    return titles_;
  }
  std::string last_id() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_.empty() ? "" : ids_.back();
  }
  bool WaitForCount(size_t count) {
    return WaitFor([&] { return titles().size() >= count; });
  }
  grpc::Status AwaitEnd() {
    WaitFor([&] {
      std::lock_guard<std::mutex> lock(mutex_);
      return ended_;
    });
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  std::unique_ptr<v1::NotificationService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Notification>> reader_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> titles_, ids_;
  grpc::Status status_;
  bool ended_ = false;
};

grpc::Status Notify(switchboard::testing::TestServer& replica, const std::string& user_id,
                    const std::string& title, v1::NotifyResponse* response = nullptr) {
  auto stub = v1::NotificationService::NewStub(replica.NewChannel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  v1::NotifyRequest request;
  request.set_user_id(user_id);
  request.set_title(title);
  v1::NotifyResponse ignored;
  return stub->Notify(&context, request, response ? response : &ignored);
}

// The grpc.health.v1 status of the notification service, as a health checker sees it.
HealthStatus::ServingStatus Health(switchboard::testing::TestServer& replica) {
  auto stub = grpc::health::v1::Health::NewStub(replica.NewChannel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kHealthDeadline);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(v1::NotificationService::service_full_name());
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) return HealthStatus::UNKNOWN;
  return response.status();
}

std::vector<std::string> Titles(int from, int to) {
  std::vector<std::string> titles;
  for (int i = from; i < to; ++i) titles.push_back("n" + std::to_string(i));
  return titles;
}

// Three subscribers of one user on each of two replicas; twelve notifications spread over
// both: every subscriber gets all twelve in the order they were sent.
void EverySubscriberOnEveryReplicaGetsAll(std::shared_ptr<bus::Bus> bus_a,
                                          std::shared_ptr<bus::Bus> bus_b) {
  auto a = StartReplica(bus_a);
  auto b = StartReplica(bus_b);
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  for (int i = 0; i < 3; ++i) {
    subscribers.push_back(std::make_unique<Subscriber>(*a, "alice"));
    subscribers.push_back(std::make_unique<Subscriber>(*b, "alice"));
  }
  Subscriber bob(*b, "bob");
  constexpr int kNotifications = 12;
  for (int i = 0; i < kNotifications; ++i) {
    v1::NotifyResponse response;
    grpc::Status status = Notify(i % 2 ? *b : *a, "alice", "n" + std::to_string(i), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.delivered(), 3);  // the subscribers of the replica that took it
  }
  for (auto& subscriber : subscribers) {
    ASSERT_TRUE(subscriber->WaitForCount(kNotifications)) << subscriber->titles().size();
    EXPECT_EQ(subscriber->titles(), Titles(0, kNotifications));
  }
  EXPECT_TRUE(bob.titles().empty());
}

TEST(NotificationReplicas, InProcessBusReachesEveryReplicaInOrder) {
  auto shared = std::make_shared<bus::InProcessBus>();
  EverySubscriberOnEveryReplicaGetsAll(shared, shared);
}

class NotificationOnNats : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = bus::testing::NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    nats_ = std::move(*server);
  }
  std::unique_ptr<bus::testing::NatsServer> nats_;
};

TEST_F(NotificationOnNats, EveryReplicaGetsEveryNotificationInOrder) {
  EverySubscriberOnEveryReplicaGetsAll(NatsAt(nats_->url(), "notification-1"),
                                       NatsAt(nats_->url(), "notification-2"));
}

TEST_F(NotificationOnNats, ASubscriberResumesOnAnotherReplicaAfterItsLastId) {
  auto a = StartReplica(NatsAt(nats_->url(), "notification-1"));
  auto b = StartReplica(NatsAt(nats_->url(), "notification-2"));
  std::string last_seen;
  {
    Subscriber on_a(*a, "alice");
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(Notify(*a, "alice", "n" + std::to_string(i)).ok());
    ASSERT_TRUE(on_a.WaitForCount(3));
    last_seen = on_a.last_id();
  }  // its connection drops here
  for (int i = 3; i < 6; ++i) ASSERT_TRUE(Notify(*a, "alice", "n" + std::to_string(i)).ok());
  // Let replica b take the last of them from the bus before the client comes back there.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Subscriber resumed(*b, "alice", last_seen);
  ASSERT_TRUE(Notify(*b, "alice", "n6").ok());
  ASSERT_TRUE(resumed.WaitForCount(4));
  EXPECT_EQ(resumed.titles(), Titles(3, 7));

  // An id the window does not hold is refused, not silently ignored.
  Subscriber lost(*b, "alice", "ntf_never_sent");
  grpc::Status status = lost.AwaitEnd();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << status.error_message();
}

TEST_F(NotificationOnNats, AReplicaStartedLaterCanResumeFromEarlierIdsButDeliversOnlyNewOnes) {
  auto a = StartReplica(NatsAt(nats_->url(), "notification-1"));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    v1::NotifyResponse response;
    ASSERT_TRUE(Notify(*a, "alice", "n" + std::to_string(i), &response).ok());
    ids.push_back(response.notification_id());
  }
  // A replica started now takes the stream's history for resuming, but its live subscribers
  // see only what is sent after it started.
  auto late = StartReplica(NatsAt(nats_->url(), "notification-3"));
  Subscriber live(*late, "alice");
  ASSERT_TRUE(Notify(*late, "alice", "n4").ok());
  ASSERT_TRUE(live.WaitForCount(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(live.titles(), Titles(4, 5));
  Subscriber resumed(*late, "alice", ids[1]);
  ASSERT_TRUE(resumed.WaitForCount(3));
  EXPECT_EQ(resumed.titles(), Titles(2, 5));
}

TEST_F(NotificationOnNats, ANatsRestartMidStreamLosesNothingAcknowledged) {
  auto a = StartReplica(NatsAt(nats_->url(), "notification-1"));
  auto b = StartReplica(NatsAt(nats_->url(), "notification-2"));
  Subscriber on_a(*a, "alice");
  Subscriber on_b(*b, "alice");
  std::vector<std::string> acknowledged;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Notify(*a, "alice", "n" + std::to_string(i)).ok());
    acknowledged.push_back("n" + std::to_string(i));
  }
  ASSERT_TRUE(on_b.WaitForCount(5));
  nats_->Kill();
  // Once a replica has seen the bus go, Notify says so at once: the caller knows to send
  // again. (One that races the loss has an unknown outcome, as with any lost acknowledgement.)
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  grpc::Status down = Notify(*b, "alice", "while-down");
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  ASSERT_TRUE(nats_->Restart().ok()) << nats_->Output();
  for (int i = 5; i < 10; ++i) {
    const std::string title = "n" + std::to_string(i);
    grpc::Status status;
    for (int attempt = 0; attempt < 100; ++attempt) {  // until the replica has reconnected
      status = Notify(i % 2 ? *b : *a, "alice", title);
      if (status.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    acknowledged.push_back(title);
  }
  EXPECT_NE(down.error_message().find("not sent"), std::string::npos) << down.error_message();
  for (Subscriber* subscriber : {&on_a, &on_b}) {
    ASSERT_TRUE(subscriber->WaitForCount(acknowledged.size())) << subscriber->titles().size();
    EXPECT_EQ(subscriber->titles(), acknowledged);
  }
}

TEST_F(NotificationOnNats, ABusOutageIsNotServingUntilTheBusIsBack) {
  auto a = StartReplica(NatsAt(nats_->url(), "notification-1"));
  auto b = StartReplica(NatsAt(nats_->url(), "notification-2"));
  EXPECT_EQ(Health(*a), HealthStatus::SERVING);
  EXPECT_EQ(Health(*b), HealthStatus::SERVING);
  nats_->Kill();
  ASSERT_TRUE(WaitFor([&] {
    return Health(*a) == HealthStatus::NOT_SERVING && Health(*b) == HealthStatus::NOT_SERVING;
  }));
  ASSERT_TRUE(nats_->Restart().ok()) << nats_->Output();
  ASSERT_TRUE(WaitFor(
      [&] { return Health(*a) == HealthStatus::SERVING && Health(*b) == HealthStatus::SERVING; }));
  // Serving means serving: a notification goes through again.
  ASSERT_TRUE(Notify(*a, "alice", "back").ok());
}

// Once BeginShutdown has begun the service no longer reports its bus, whatever the bus does.
TEST_F(NotificationOnNats, NoHealthReportAfterShutdownBegins) {
  auto bus = NatsAt(nats_->url(), "notification-1");
  ASSERT_TRUE(bus);
  common::ServiceOptions options;
  options.name = "notification";
  options.settings = YAML::Load("{}");
  auto service = NewNotificationService(options, SystemNowMs, bus);
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
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return !seen.empty();
  }));
  ASSERT_TRUE(nats_->Restart().ok()) << nats_->Output();
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return seen == std::vector<bool>{false, true};
  }));
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(reports, std::vector<bool>{true});
}

TEST(NotificationReplicas, AnInProcessBusKeepsTheReplicaServing) {
  auto a = StartReplica(std::make_shared<bus::InProcessBus>());
  EXPECT_EQ(Health(*a), HealthStatus::SERVING);
}

TEST(NotificationBusConfig, AnUnreachableNatsStopsTheStartNamingIt) {
  common::ServiceOptions options;
  options.name = "notification";
  options.settings = YAML::Load("{}");
  options.bus.kind = bus::kNats;
  options.bus.url = "nats://127.0.0.1:" + std::to_string(switchboard::testing::FreePort());
  auto service = MakeNotificationService(options);
  ASSERT_FALSE(service.ok());
  EXPECT_EQ(service.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(service.status().message().find(options.bus.url), std::string::npos)
      << service.status();
}

}  // namespace
}  // namespace switchboard::notification
