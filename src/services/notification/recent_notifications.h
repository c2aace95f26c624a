// The notifications of the retention window, oldest first, so a subscriber that reconnects can
// resume after the last one it saw. Bounded by count and by age; not thread-safe (the
// subscriber registry holds it under its lock).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "switchboard/notification/v1/notification.pb.h"

namespace switchboard::notification {

struct RetentionLimits {
  size_t max_notifications = 4096;            // kept in all, over every user
  std::chrono::milliseconds max_age{300000};  // kept for at most this long
};

class RecentNotifications {
 public:
  explicit RecentNotifications(RetentionLimits limits) : limits_(limits) {}

  // `now_ms` is when it arrived here (its age counts from then).
  void Add(const v1::Notification& notification, int64_t now_ms);
  // The notifications of `user_id` that arrived after the one with `after_id`, oldest first;
  // OUT_OF_RANGE when that one is not kept (expired, pushed out, or unknown), and
  // INVALID_ARGUMENT when it belongs to another user.
  absl::StatusOr<std::vector<v1::Notification>> After(const std::string& user_id,
                                                      const std::string& after_id, int64_t now_ms);
  size_t size() const { return kept_.size(); }

 private:
  void Expire(int64_t now_ms);

  struct Kept {
    v1::Notification notification;
    int64_t arrived_ms;
  };
  const RetentionLimits limits_;
  std::deque<Kept> kept_;
};

}  // namespace switchboard::notification
