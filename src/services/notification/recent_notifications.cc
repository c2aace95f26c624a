#include "services/notification/recent_notifications.h"

#include "absl/strings/str_cat.h"

namespace switchboard::notification {

void RecentNotifications::Add(const v1::Notification& notification, int64_t now_ms) {
  kept_.push_back({notification, now_ms});
  while (kept_.size() > limits_.max_notifications) kept_.pop_front();
  Expire(now_ms);
}

void RecentNotifications::Expire(int64_t now_ms) {
  const int64_t oldest = now_ms - static_cast<int64_t>(limits_.max_age.count());
  while (!kept_.empty() && kept_.front().arrived_ms < oldest) kept_.pop_front();
}

absl::StatusOr<std::vector<v1::Notification>> RecentNotifications::After(
    const std::string& user_id, const std::string& after_id, int64_t now_ms) {
  Expire(now_ms);
  auto it = kept_.begin();
  for (; it != kept_.end(); ++it) {
    if (it->notification.id() == after_id) break;
  }
  if (it == kept_.end()) {
    return absl::OutOfRangeError(
        absl::StrCat("after_id \"", after_id, "\" is not within the retention window (the last ",
                     limits_.max_notifications, " notifications of at most ",
                     limits_.max_age.count() / 1000, "s): subscribe without after_id"));
  }
  if (it->notification.user_id() != user_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("after_id \"", after_id, "\" is not a notification of user ", user_id));
  }
  std::vector<v1::Notification> missed;
  for (++it; it != kept_.end(); ++it) {
    if (it->notification.user_id() == user_id) missed.push_back(it->notification);
  }
  return missed;
}

}  // namespace switchboard::notification
