#include "services/notification/notification_config.h"

#include "common/system_config.h"

namespace switchboard::notification {
namespace {

constexpr int64_t kMaxSubscriberQueue = 65536;
constexpr int64_t kMaxMaxSubscribers = 1000000;

}  // namespace

absl::StatusOr<NotificationConfig> ReadNotificationConfig(const YAML::Node& node) {
  common::Settings settings(node, "services.notification");
  NotificationConfig config;
  config.subscriber_queue =
      settings.Int("subscriber_queue", config.subscriber_queue, 1, kMaxSubscriberQueue);
  config.max_subscribers =
      settings.Int("max_subscribers", config.max_subscribers, 1, kMaxMaxSubscribers);
  if (auto s = settings.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace switchboard::notification
