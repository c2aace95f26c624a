// NotificationService: validation, ids and timestamps in front of the SubscriberRegistry.
#include "services/notification/notification_service.h"

#include <chrono>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "services/notification/notification_config.h"
#include "services/notification/notification_validation.h"
#include "services/notification/subscribe_reactor.h"
#include "services/notification/subscriber_registry.h"
#include "switchboard/notification/v1/notification.grpc.pb.h"

namespace switchboard::notification {
namespace {

constexpr char kIdPrefix[] = "ntf";

int64_t SystemUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class NotificationServiceImpl final : public v1::NotificationService::CallbackService {
 public:
  NotificationServiceImpl(SubscriberRegistry* registry, size_t subscriber_queue,
                          UnixMillisClock clock)
      : registry_(registry), subscriber_queue_(subscriber_queue), clock_(std::move(clock)) {}

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
    if (auto added = registry_->Add(request->user_id(), reactor); !added.ok()) {
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
    response->set_delivered(registry_->Publish(notification));
    response->set_notification_id(notification.id());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  SubscriberRegistry* registry_;
  const size_t subscriber_queue_;
  UnixMillisClock clock_;
};

class NotificationServiceHost final : public NotificationService {
 public:
  NotificationServiceHost(size_t subscriber_queue, size_t max_subscribers, UnixMillisClock clock)
      : registry_(max_subscribers), grpc_service_(&registry_, subscriber_queue, std::move(clock)) {}

  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  void BeginShutdown() override { registry_.Shutdown(); }
  bool HasEndlessStreams() const override { return true; }
  size_t SubscriberCount(const std::string& user_id) override {
    return registry_.CountFor(user_id);
  }
  size_t TotalSubscribers() override { return registry_.Total(); }

 private:
  SubscriberRegistry registry_;
  NotificationServiceImpl grpc_service_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<NotificationService>> NewNotificationService(
    const common::ServiceOptions& options, UnixMillisClock clock) {
  auto config = ReadNotificationConfig(options.settings);
  if (!config.ok()) return config.status();
  return std::unique_ptr<NotificationService>(
      new NotificationServiceHost(static_cast<size_t>(config->subscriber_queue),
                                  static_cast<size_t>(config->max_subscribers), std::move(clock)));
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeNotificationService(
    const common::ServiceOptions& options) {
  auto service = NewNotificationService(options, SystemUnixMillis);
  if (!service.ok()) return service.status();
  return std::unique_ptr<common::Service>(std::move(*service));
}

}  // namespace switchboard::notification
