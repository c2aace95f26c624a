// NotificationService settings (block services.notification), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>

#include "absl/status/statusor.h"

namespace switchboard::notification {

struct NotificationConfig {
  static constexpr int64_t kDefaultSubscriberQueue = 256;
  static constexpr int64_t kDefaultMaxSubscribers = 10000;
  static constexpr int64_t kDefaultResumeMax = 4096;
  static constexpr std::chrono::minutes kDefaultResumeWindow{5};

  // Notifications queued per stream before a slow reader is ended with RESOURCE_EXHAUSTED.
  int64_t subscriber_queue = kDefaultSubscriberQueue;
  // Open Subscribe streams in total, so subscribers cannot grow memory without bound.
  int64_t max_subscribers = kDefaultMaxSubscribers;
  // How long a notification stays available to a subscriber that resumes (after_id), and how
  // many are kept in all; with a NATS bus, also the limits of the JetStream stream.
  std::chrono::milliseconds resume_window = kDefaultResumeWindow;
  int64_t resume_max = kDefaultResumeMax;
};

// Reads the block; an unknown key or bad value is an error naming it
// ("services.notification.x").
absl::StatusOr<NotificationConfig> ReadNotificationConfig(const YAML::Node& settings);

}  // namespace switchboard::notification
