#include "services/notification/notification_config.h"

#include "common/system_config.h"

namespace switchboard::notification {
namespace {

constexpr int64_t kMaxSubscriberQueue = 65536;
constexpr int64_t kMaxMaxSubscribers = 1000000;
constexpr int64_t kMaxResumeMax = 1000000;
constexpr std::chrono::milliseconds kMinResumeWindow{1000};
constexpr std::chrono::hours kMaxResumeWindow{24};

}  // namespace

absl::StatusOr<NotificationConfig> ReadNotificationConfig(const YAML::Node& node) {
  common::Settings settings(node, "services.notification");
  NotificationConfig config;
  config.subscriber_queue =
      settings.Int("subscriber_queue", config.subscriber_queue, 1, kMaxSubscriberQueue);
  config.max_subscribers =
      settings.Int("max_subscribers", config.max_subscribers, 1, kMaxMaxSubscribers);
  config.resume_window =
      settings.Duration("resume_window", config.resume_window, kMinResumeWindow, kMaxResumeWindow);
  config.resume_max = settings.Int("resume_max", config.resume_max, 1, kMaxResumeMax);
  if (auto s = settings.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace switchboard::notification
