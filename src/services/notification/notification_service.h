// NotificationService: Subscribe streams a user's notifications while it is open; Notify
// pushes one notification to every open stream of that user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/service.h"

namespace switchboard::notification {

// Unix time in milliseconds; injectable so tests can fix notification timestamps.
using UnixMillisClock = std::function<int64_t()>;

inline constexpr int64_t kDefaultSubscriberQueue = 256;
inline constexpr int64_t kMaxSubscriberQueue = 65536;
inline constexpr int64_t kDefaultMaxSubscribers = 10000;
inline constexpr int64_t kMaxMaxSubscribers = 1000000;

class NotificationService : public common::Service {
 public:
  // Open subscriptions of one user, and of all users (for tests and diagnostics).
  virtual size_t SubscriberCount(const std::string& user_id) = 0;
  virtual size_t TotalSubscribers() = 0;
};

// Settings (block services.notification):
//   subscriber_queue  notifications queued per stream before a slow reader is ended with
//                     RESOURCE_EXHAUSTED (default 256, 1..65536)
//   max_subscribers   open Subscribe streams in total (default 10000, 1..1000000)
absl::StatusOr<std::unique_ptr<common::Service>> MakeNotificationService(
    const common::ServiceOptions& options);

// As MakeNotificationService, with the clock that stamps notifications.
absl::StatusOr<std::unique_ptr<NotificationService>> NewNotificationService(
    const common::ServiceOptions& options, UnixMillisClock clock);

}  // namespace switchboard::notification
