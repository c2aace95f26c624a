// The open subscriptions, by user, under one mutex.
#include "services/notification/subscriber_registry.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"

namespace switchboard::notification {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status SubscriberRegistry::Add(const std::string& user_id, Subscriber* subscriber,
                                     const std::string& after_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shut_down_) return absl::UnavailableError("server shutting down");
  if (total_ >= max_subscribers_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("max_subscribers: all ", max_subscribers_, " subscriptions are in use"));
  }
  std::vector<v1::Notification> missed;
  if (!after_id.empty()) {
    auto after = recent_.After(user_id, after_id, now_ms_());
    if (!after.ok()) return after.status();
    missed = std::move(*after);
  }
  if (!by_user_[user_id].insert(subscriber).second) return absl::OkStatus();
  ++total_;
  subscriber->OnRegistered();
  for (const v1::Notification& notification : missed) {
    if (!subscriber->Deliver(notification)) break;  // overflowed: the stream is ending
  }
  return absl::OkStatus();
}

void SubscriberRegistry::Remove(const std::string& user_id, Subscriber* subscriber) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_user_.find(user_id);
  if (it == by_user_.end() || it->second.erase(subscriber) == 0) return;
  --total_;
  // Users without subscribers leave no entry, so the map is bounded by open streams.
  if (it->second.empty()) by_user_.erase(it);
}

int SubscriberRegistry::Publish(const v1::Notification& notification, bool deliver) {
  std::lock_guard<std::mutex> lock(mutex_);
  recent_.Add(notification, now_ms_());
  if (!deliver) return 0;
  auto it = by_user_.find(notification.user_id());
  if (it == by_user_.end()) return 0;
  int delivered = 0;
  for (Subscriber* subscriber : it->second) {
    if (subscriber->Deliver(notification)) ++delivered;
  }
  return delivered;
}

void SubscriberRegistry::Shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  shut_down_ = true;
  // Entries stay until each stream's OnDone removes them; only then may a stream be deleted.
  for (auto& [user_id, subscribers] : by_user_) {
    for (Subscriber* subscriber : subscribers) subscriber->OnShutdown();
  }
}

size_t SubscriberRegistry::CountFor(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_user_.find(user_id);
  return it == by_user_.end() ? 0 : it->second.size();
}

size_t SubscriberRegistry::Total() {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_;
}

}  // namespace switchboard::notification
