// NotificationService over loopback: delivery, fan-out, isolation between users, validation,
// unsubscribing, the slow-reader limit, the subscriber limit and prompt shutdown.
#include "services/notification/notification_service.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "switchboard/notification/v1/notification.grpc.pb.h"
#include "testing/test_server.h"

namespace switchboard::notification {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kNowMs = 1767225600789;
constexpr auto kCallTimeout = std::chrono::seconds(10);
constexpr auto kStreamTimeout = std::chrono::seconds(30);
constexpr auto kWaitTimeout = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(5);

bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = kWaitTimeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

// A service with a fixed clock, reachable through `service` for its subscriber counts.
std::unique_ptr<switchboard::testing::TestServer> StartServer(
    NotificationService** service, const std::string& settings = "{}",
    const common::HostOptions& host_options = {}) {
  auto factory = [service](const common::ServiceOptions& options)
      -> absl::StatusOr<std::unique_ptr<common::Service>> {
    auto made = NewNotificationService(options, [] { return kNowMs; });
    if (!made.ok()) return made.status();
    *service = made->get();
    return std::unique_ptr<common::Service>(std::move(*made));
  };
  return std::make_unique<switchboard::testing::TestServer>(factory, settings, host_options);
}

// One Subscribe call; optionally read on its own thread until the stream ends.
class Subscription {
 public:
  Subscription(const std::shared_ptr<grpc::Channel>& channel, const std::string& user_id)
      : stub_(v1::NotificationService::NewStub(channel)) {
    context_.set_deadline(std::chrono::system_clock::now() + kStreamTimeout);
    v1::SubscribeRequest request;
    request.set_user_id(user_id);
    reader_ = stub_->Subscribe(&context_, request);
  }
  ~Subscription() {
    context_.TryCancel();
    if (thread_.joinable()) thread_.join();
  }

  // Returns once the server's headers arrived, which it sends only after registering the
  // subscription (or when it rejects it). Only before the first Read.
  void WaitUntilLive() { reader_->WaitForInitialMetadata(); }

  void StartReading() {
    thread_ = std::thread([this] {
      v1::Notification notification;
      while (reader_->Read(&notification)) {
        std::lock_guard<std::mutex> lock(mutex_);
        received_.push_back(notification);
      }
      grpc::Status status = reader_->Finish();
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = status;
      ended_ = true;
    });
  }

  std::vector<v1::Notification> Received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  size_t ReceivedCount() { return Received().size(); }
  bool WaitForReceived(size_t count) {
    return WaitFor([&] { return ReceivedCount() >= count; });
  }

  // Waits for the reading thread to see the end of the stream.
  grpc::Status AwaitEnd() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    return ended_ ? status_ : grpc::Status(grpc::StatusCode::INTERNAL, "never read");
  }

  // For a subscription that was not read on a thread: reads what is left, then the status.
  grpc::Status DrainAndFinish(size_t* read_count) {
    v1::Notification notification;
    *read_count = 0;
    while (reader_->Read(&notification)) ++*read_count;
    return reader_->Finish();
  }

  void Cancel() { context_.TryCancel(); }

 private:
  std::unique_ptr<v1::NotificationService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Notification>> reader_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<v1::Notification> received_;
  grpc::Status status_;
  bool ended_ = false;
};

grpc::Status NotifyVia(v1::NotificationService::Stub& stub, const std::string& user_id,
                       const std::string& title, const std::string& body,
                       v1::NotifyResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  v1::NotifyRequest request;
  request.set_user_id(user_id);
  request.set_title(title);
  request.set_body(body);
  return stub.Notify(&context, request, response);
}

class NotificationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer(&service_);
    stub_ = v1::NotificationService::NewStub(server_->NewChannel());
  }

  grpc::Status Notify(const std::string& user_id, const std::string& title, const std::string& body,
                      v1::NotifyResponse* response) {
    return NotifyVia(*stub_, user_id, title, body, response);
  }

  NotificationService* service_ = nullptr;
  std::unique_ptr<switchboard::testing::TestServer> server_;
  std::unique_ptr<v1::NotificationService::Stub> stub_;
};

TEST_F(NotificationServiceTest, SubscribeThenNotifyDelivers) {
  Subscription alice(server_->NewChannel(), "alice");
  alice.WaitUntilLive();
  EXPECT_EQ(service_->SubscriberCount("alice"), 1u);
  alice.StartReading();

  v1::NotifyResponse response;
  grpc::Status status = Notify("alice", "Booked", "Seat 12A is yours", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.delivered(), 1);
  EXPECT_EQ(response.notification_id().rfind("ntf_", 0), 0u) << response.notification_id();

  ASSERT_TRUE(alice.WaitForReceived(1));
  const v1::Notification got = alice.Received()[0];
  EXPECT_EQ(got.id(), response.notification_id());
  EXPECT_EQ(got.user_id(), "alice");
  EXPECT_EQ(got.title(), "Booked");
  EXPECT_EQ(got.body(), "Seat 12A is yours");
  EXPECT_EQ(got.timestamp(), kNowMs);
}

TEST_F(NotificationServiceTest, EverySubscriberOfTheUserReceives) {
  Subscription phone(server_->NewChannel(), "alice");
  Subscription laptop(server_->NewChannel(), "alice");
  phone.WaitUntilLive();
  laptop.WaitUntilLive();
  phone.StartReading();
  laptop.StartReading();
  EXPECT_EQ(service_->SubscriberCount("alice"), 2u);

  v1::NotifyResponse response;
  ASSERT_TRUE(Notify("alice", "Hello", "", &response).ok());
  EXPECT_EQ(response.delivered(), 2);
  ASSERT_TRUE(phone.WaitForReceived(1));
  ASSERT_TRUE(laptop.WaitForReceived(1));
  EXPECT_EQ(phone.Received()[0].id(), response.notification_id());
  EXPECT_EQ(laptop.Received()[0].id(), response.notification_id());
}

TEST_F(NotificationServiceTest, OtherUsersNotificationsAreNotReceived) {
  Subscription alice(server_->NewChannel(), "alice");
  alice.WaitUntilLive();
  alice.StartReading();

  v1::NotifyResponse for_bob;
  ASSERT_TRUE(Notify("bob", "For Bob", "", &for_bob).ok());
  EXPECT_EQ(for_bob.delivered(), 0);
  v1::NotifyResponse for_alice;
  ASSERT_TRUE(Notify("alice", "For Alice", "", &for_alice).ok());
  EXPECT_EQ(for_alice.delivered(), 1);

  // A stream keeps order, so had Bob's been sent to Alice it would have come first.
  ASSERT_TRUE(alice.WaitForReceived(1));
  const auto received = alice.Received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].title(), "For Alice");
}

TEST_F(NotificationServiceTest, DeliveredCountsCurrentSubscribers) {
  v1::NotifyResponse response;
  ASSERT_TRUE(Notify("carol", "Nobody listening", "", &response).ok());
  EXPECT_EQ(response.delivered(), 0);
  EXPECT_FALSE(response.notification_id().empty());

  std::vector<std::unique_ptr<Subscription>> subscriptions;
  for (int i = 0; i < 3; ++i) {
    subscriptions.push_back(std::make_unique<Subscription>(server_->NewChannel(), "carol"));
    subscriptions.back()->WaitUntilLive();
    subscriptions.back()->StartReading();
  }
  ASSERT_TRUE(Notify("carol", "Three listening", "", &response).ok());
  EXPECT_EQ(response.delivered(), 3);
}

TEST_F(NotificationServiceTest, NotifyValidationErrorsNameTheField) {
  struct Case {
    std::string user_id, title, body, field;
  } cases[] = {
      {"", "t", "b", "user_id"},
      {std::string(65, 'u'), "t", "b", "user_id"},
      {"u", "", "b", "title"},
      {"u", std::string(201, 't'), "b", "title"},
      {"u", "t", std::string(4001, 'b'), "body"},
  };
  for (const auto& c : cases) {
    v1::NotifyResponse response;
    grpc::Status status = Notify(c.user_id, c.title, c.body, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(status.error_message().rfind(c.field + ":", 0), 0u) << status.error_message();
  }
  v1::NotifyResponse response;
  EXPECT_TRUE(
      Notify(std::string(64, 'u'), std::string(200, 't'), std::string(4000, 'b'), &response).ok());
}

TEST_F(NotificationServiceTest, SubscribeValidatesUserId) {
  for (const std::string& user_id : {std::string(), std::string(65, 'u')}) {
    Subscription bad(server_->NewChannel(), user_id);
    bad.StartReading();
    grpc::Status status = bad.AwaitEnd();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message().rfind("user_id:", 0), 0u) << status.error_message();
  }
  EXPECT_EQ(service_->TotalSubscribers(), 0u);
}

TEST_F(NotificationServiceTest, CancelUnsubscribes) {
  Subscription alice(server_->NewChannel(), "alice");
  alice.WaitUntilLive();
  alice.StartReading();
  EXPECT_EQ(service_->SubscriberCount("alice"), 1u);

  alice.Cancel();
  EXPECT_EQ(alice.AwaitEnd().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitFor([&] { return service_->SubscriberCount("alice") == 0; }));
  EXPECT_EQ(service_->TotalSubscribers(), 0u);
  v1::NotifyResponse response;
  ASSERT_TRUE(Notify("alice", "Gone", "", &response).ok());
  EXPECT_EQ(response.delivered(), 0);
}

TEST(NotificationServiceLimits, SlowReaderIsEndedWhileOthersKeepReceiving) {
  NotificationService* service = nullptr;
  auto server = StartServer(&service, "{subscriber_queue: 64}");
  auto stub = v1::NotificationService::NewStub(server->NewChannel());

  Subscription reader(server->NewChannel(), "alice");
  reader.WaitUntilLive();
  reader.StartReading();
  // A fixed 64 KiB receive window on the idle client, so its backlog fills fast.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt("switchboard.test_slow_channel", 1);
  Subscription idle(
      grpc::CreateCustomChannel(server->address(), grpc::InsecureChannelCredentials(), args),
      "alice");
  idle.WaitUntilLive();
  ASSERT_EQ(service->SubscriberCount("alice"), 2u);

  const std::string body(4000, 'b');
  constexpr int kMaxNotifies = 5000;
  const auto give_up = Clock::now() + std::chrono::seconds(15);
  int sent = 0;
  int delivered = 2;
  while (delivered == 2 && sent < kMaxNotifies && Clock::now() < give_up) {
    v1::NotifyResponse response;
    grpc::Status status = NotifyVia(*stub, "alice", "n" + std::to_string(sent), body, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    delivered = response.delivered();
    ++sent;
  }
  ASSERT_EQ(delivered, 1) << "idle subscriber never overflowed after " << sent;
  // The idle stream is over: later notifications reach only the reader.
  for (int i = 0; i < 3; ++i, ++sent) {
    v1::NotifyResponse response;
    ASSERT_TRUE(NotifyVia(*stub, "alice", "n" + std::to_string(sent), body, &response).ok());
    EXPECT_EQ(response.delivered(), 1);
  }

  ASSERT_TRUE(reader.WaitForReceived(sent)) << reader.ReceivedCount() << " of " << sent;
  const auto received = reader.Received();
  ASSERT_EQ(received.size(), static_cast<size_t>(sent));
  for (int i = 0; i < sent; ++i) ASSERT_EQ(received[i].title(), "n" + std::to_string(i));

  size_t idle_read = 0;
  grpc::Status status = idle.DrainAndFinish(&idle_read);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_LT(idle_read, static_cast<size_t>(sent));
  ASSERT_TRUE(WaitFor([&] { return service->SubscriberCount("alice") == 1; }));
}

TEST(NotificationServiceLimits, MaxSubscribersIsResourceExhausted) {
  NotificationService* service = nullptr;
  auto server = StartServer(&service, "{max_subscribers: 2}");
  Subscription first(server->NewChannel(), "alice");
  Subscription second(server->NewChannel(), "bob");
  first.WaitUntilLive();
  second.WaitUntilLive();
  {
    Subscription third(server->NewChannel(), "carol");
    third.StartReading();
    grpc::Status status = third.AwaitEnd();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(status.error_message().find("max_subscribers"), std::string::npos)
        << status.error_message();
  }
  first.Cancel();
  ASSERT_TRUE(WaitFor([&] { return service->TotalSubscribers() == 1; }));
  Subscription replacement(server->NewChannel(), "carol");
  replacement.WaitUntilLive();
  EXPECT_EQ(service->SubscriberCount("carol"), 1u);
}

TEST(NotificationServiceShutdown, OpenStreamsEndPromptlyWithUnavailable) {
  NotificationService* service = nullptr;
  common::HostOptions host_options;
  // Far longer than the test allows, so only BeginShutdown can make it prompt.
  host_options.shutdown_grace = std::chrono::seconds(20);
  auto server = StartServer(&service, "{}", host_options);
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  for (const char* user : {"alice", "alice", "bob"}) {
    subscriptions.push_back(std::make_unique<Subscription>(server->NewChannel(), user));
    subscriptions.back()->WaitUntilLive();
    subscriptions.back()->StartReading();
  }
  ASSERT_EQ(service->TotalSubscribers(), 3u);

  const auto started = Clock::now();
  server->Shutdown();
  const auto took = Clock::now() - started;
  EXPECT_LT(took, std::chrono::seconds(3))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  for (auto& subscription : subscriptions) {
    grpc::Status status = subscription->AwaitEnd();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(status.error_message(), "server shutting down");
  }
}

TEST(NotificationServiceSettings, BadSettingsFailAtStart) {
  struct Case {
    std::string yaml, mentions;
  } cases[] = {
      {"{colour: red}", "services.notification.colour"},
      {"{subscriber_queue: 0}", "services.notification.subscriber_queue"},
      {"{max_subscribers: many}", "services.notification.max_subscribers"},
  };
  for (const auto& c : cases) {
    common::ServiceOptions options;
    options.settings = YAML::Load(c.yaml);
    auto service = MakeNotificationService(options);
    ASSERT_FALSE(service.ok()) << c.yaml;
    EXPECT_NE(service.status().message().find(c.mentions), std::string::npos) << service.status();
  }
}

}  // namespace
}  // namespace switchboard::notification
