// NotificationService: Subscribe streams a user's notifications while it is open; Notify
// pushes one notification to every open stream of that user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/bus/bus.h"
#include "common/service.h"

namespace switchboard::notification {

// Unix time in milliseconds; injectable so tests can fix notification timestamps.
using UnixMillisClock = std::function<int64_t()>;

class NotificationService : public common::Service {
 public:
  // Open subscriptions of one user, and of all users (for tests and diagnostics).
  virtual size_t SubscriberCount(const std::string& user_id) = 0;
  virtual size_t TotalSubscribers() = 0;
};

// Settings: the services.notification block, read by ReadNotificationConfig
// (notification_config.h).
absl::StatusOr<std::unique_ptr<common::Service>> MakeNotificationService(
    const common::ServiceOptions& options);

// As MakeNotificationService, with the clock that stamps notifications.
absl::StatusOr<std::unique_ptr<NotificationService>> NewNotificationService(
    const common::ServiceOptions& options, UnixMillisClock clock);

// The same on a bus shared with other replicas (nullptr: none, as above): Notify publishes
// there and every replica fans out what the bus delivers to its own subscribers.
absl::StatusOr<std::unique_ptr<NotificationService>> NewNotificationService(
    const common::ServiceOptions& options, UnixMillisClock clock, std::shared_ptr<bus::Bus> bus);

}  // namespace switchboard::notification
