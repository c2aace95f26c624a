// NotificationService: validation, ids and timestamps in front of the SubscriberRegistry. With
// a shared bus, Notify publishes on it and the registry is fed from it, so a notification
// reaches the user's subscribers on every replica, in the bus's order.
#include "services/notification/notification_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/bus/bus_health.h"
#include "common/bus/open_bus.h"
#include "common/ids.h"
#include "common/status.h"
#include "services/notification/notification_bus.h"
#include "services/notification/notification_config.h"
#include "services/notification/notification_validation.h"
#include "services/notification/subscribe_reactor.h"
#include "services/notification/subscriber_registry.h"
#include "switchboard/notification/v1/notification.grpc.pb.h"

namespace switchboard::notification {
namespace {

constexpr char kIdPrefix[] = "ntf";

class NotificationServiceImpl final : public v1::NotificationService::CallbackService {
 public:
  // `bus` is null when notifications stay in this process.
  NotificationServiceImpl(SubscriberRegistry* registry, size_t subscriber_queue,
                          UnixMillisClock clock, bus::Bus* bus)
      : registry_(registry),
        subscriber_queue_(subscriber_queue),
        clock_(std::move(clock)),
        bus_(bus) {}

  grpc::ServerWriteReactor<v1::Notification>* Subscribe(
      grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) override {
    (void)context;
    auto* reactor = new SubscribeReactor(subscriber_queue_);
    if (auto invalid = ValidateSubscribe(*request); !invalid.ok()) {
      reactor->Close(common::ToGrpcStatus(invalid));
      return reactor;
    }
    // Set before Add: once registered the stream can end at any time, and it must then
    // unsubscribe (under the registry lock) before it is deleted.
    reactor->SetOnDone([registry = registry_, user_id = request->user_id(), reactor] {
      registry->Remove(user_id, reactor);
    });
    if (auto added = registry_->Add(request->user_id(), reactor, request->after_id());
        !added.ok()) {
      reactor->Close(common::ToGrpcStatus(added));
    }
    return reactor;
  }

  grpc::ServerUnaryReactor* Notify(grpc::CallbackServerContext* context,
                                   const v1::NotifyRequest* request,
                                   v1::NotifyResponse* response) override {
    auto* reactor = context->DefaultReactor();
    if (auto invalid = ValidateNotify(*request); !invalid.ok()) {
      reactor->Finish(common::ToGrpcStatus(invalid));
      return reactor;
    }
    v1::Notification notification;
    notification.set_id(common::NewId(kIdPrefix));
    notification.set_user_id(request->user_id());
    notification.set_title(request->title());
    notification.set_body(request->body());
    notification.set_timestamp(clock_());
    response->set_notification_id(notification.id());
    if (bus_ == nullptr) {
      response->set_delivered(registry_->Publish(notification));
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    // Returns once the bus has stored it; every replica (this one included) fans it out when
    // the bus delivers it. What is known here is this replica's subscribers.
    if (auto published =
            bus_->Publish(UserSubject(request->user_id()), notification.SerializeAsString());
        !published.ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   absl::StrCat("notification not sent: ", published.message())));
      return reactor;
    }
    response->set_delivered(static_cast<int32_t>(registry_->CountFor(request->user_id())));
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  SubscriberRegistry* registry_;
  const size_t subscriber_queue_;
  UnixMillisClock clock_;
  bus::Bus* const bus_;
};

class NotificationServiceHost final : public NotificationService {
 public:
  NotificationServiceHost(const NotificationConfig& config, UnixMillisClock clock,
                          std::shared_ptr<bus::Bus> bus)
      : started_ms_(clock()),
        registry_(static_cast<size_t>(config.max_subscribers),
                  RetentionLimits{static_cast<size_t>(config.resume_max), config.resume_window},
                  clock),
        bus_(std::move(bus)),
        grpc_service_(&registry_, static_cast<size_t>(config.subscriber_queue), std::move(clock),
                      bus_.get()) {}

  // Declares the stream and starts taking what the bus delivers; first what it still holds
  // (history for resuming only), then every new notification.
  absl::Status ConnectBus(const NotificationConfig& config) {
    if (bus_ == nullptr) return absl::OkStatus();
    if (auto retained = bus_->Retain(NotifyStreamSpec(config)); !retained.ok()) return retained;
    bus::SubscribeOptions options;
    options.replay = true;
    auto subscribed = bus_->Subscribe(
        kEveryUserSubject, [this](const bus::Message& message) { OnBusMessage(message); }, options);
    if (!subscribed.ok()) return subscribed.status();
    subscription_ = std::move(*subscribed);
    return absl::OkStatus();
  }

  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }

  // While a shared bus is down Notify fails and subscribers here miss what other replicas
  // send, so the replica says NOT_SERVING and health checkers send new calls elsewhere.
  void AttachHealth(std::function<void(bool serving)> set_serving) override {
    health_.Attach(bus_, std::move(set_serving));
  }

  void BeginShutdown() override {
    health_.Stop();         // no report from here on
    subscription_.reset();  // no bus delivery runs or starts after this
    registry_.Shutdown();
  }
  bool HasEndlessStreams() const override { return true; }
  size_t SubscriberCount(const std::string& user_id) override {
    return registry_.CountFor(user_id);
  }
  size_t TotalSubscribers() override { return registry_.Total(); }

 private:
  void OnBusMessage(const bus::Message& message) {
    v1::Notification notification;
    if (!notification.ParseFromString(message.data) ||
        !ValidateUserId(notification.user_id()).ok()) {
      spdlog::warn("notification: ignored a malformed message on {} ({} bytes)", message.subject,
                   message.data.size());
      return;
    }
    // Sent before this replica started: no subscriber here was waiting for it live.
    registry_.Publish(notification, notification.timestamp() >= started_ms_);
  }

  const int64_t started_ms_;
  SubscriberRegistry registry_;
  std::shared_ptr<bus::Bus> bus_;
  NotificationServiceImpl grpc_service_;
  std::unique_ptr<bus::Subscription> subscription_;  // gone before what it feeds
  // Last: stops reporting before what it reports on goes.
  bus::BusHealth health_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<NotificationService>> NewNotificationService(
    const common::ServiceOptions& options, UnixMillisClock clock, std::shared_ptr<bus::Bus> bus) {
  auto config = ReadNotificationConfig(options.settings);
  if (!config.ok()) return config.status();
  auto host = std::make_unique<NotificationServiceHost>(*config, std::move(clock), std::move(bus));
  if (auto connected = host->ConnectBus(*config); !connected.ok()) return connected;
  return std::unique_ptr<NotificationService>(std::move(host));
}

absl::StatusOr<std::unique_ptr<NotificationService>> NewNotificationService(
    const common::ServiceOptions& options, UnixMillisClock clock) {
  return NewNotificationService(options, std::move(clock), nullptr);
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeNotificationService(
    const common::ServiceOptions& options) {
  auto bus = bus::OpenSharedBus(options.bus, options.name);
  if (!bus.ok()) return bus.status();
  auto service = NewNotificationService(options, SystemNowMs, std::move(*bus));
  if (!service.ok()) return service.status();
  return std::unique_ptr<common::Service>(std::move(*service));
}

}  // namespace switchboard::notification
