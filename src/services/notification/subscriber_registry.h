// The open subscriptions, by user, under one mutex. Every call into a Subscriber happens with
// that mutex held, and a subscriber's stream removes itself (taking the mutex) before it is
// deleted, so the registry never calls a deleted subscriber.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/status.h"
#include "services/notification/recent_notifications.h"
#include "services/notification/subscriber.h"
#include "switchboard/notification/v1/notification.pb.h"

namespace switchboard::notification {

int64_t SystemNowMs();

class SubscriberRegistry {
 public:
  // `now_ms` ages the retained notifications (RecentNotifications).
  explicit SubscriberRegistry(size_t max_subscribers, RetentionLimits retention = {},
                              std::function<int64_t()> now_ms = SystemNowMs)
      : max_subscribers_(max_subscribers), recent_(retention), now_ms_(std::move(now_ms)) {}

  // RESOURCE_EXHAUSTED at max_subscribers, UNAVAILABLE once shut down; with `after_id`, the
  // errors of RecentNotifications::After. On success calls subscriber->OnRegistered() before
  // any notification can reach it, then delivers the user's notifications after `after_id`,
  // all under the lock Publish takes, so none is missed or seen twice.
  absl::Status Add(const std::string& user_id, Subscriber* subscriber,
                   const std::string& after_id = "");
  // No-op when `subscriber` is not registered.
  void Remove(const std::string& user_id, Subscriber* subscriber);
  // Keeps `notification` for resuming and, with `deliver`, offers it to every subscriber of
  // its user; returns how many queued it. Without `deliver` it is history only: one sent
  // before this replica started, which its subscribers can only ask for with after_id.
  int Publish(const v1::Notification& notification, bool deliver = true);
  // Ends every subscription (OnShutdown) and refuses later Adds.
  void Shutdown();

  size_t CountFor(const std::string& user_id);
  size_t Total();

 private:
  const size_t max_subscribers_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::unordered_set<Subscriber*>> by_user_;
  RecentNotifications recent_;
  const std::function<int64_t()> now_ms_;
  size_t total_ = 0;
  bool shut_down_ = false;
};

}  // namespace switchboard::notification
