// The open subscriptions, by user, under one mutex. Every call into a Subscriber happens with
// that mutex held, and a subscriber's stream removes itself (taking the mutex) before it is
// deleted, so the registry never calls a deleted subscriber.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "absl/status/status.h"
#include "services/notification/subscriber.h"
#include "switchboard/notification/v1/notification.pb.h"

namespace switchboard::notification {

class SubscriberRegistry {
 public:
  explicit SubscriberRegistry(size_t max_subscribers) : max_subscribers_(max_subscribers) {}

  // RESOURCE_EXHAUSTED at max_subscribers, UNAVAILABLE once shut down. On success calls
  // subscriber->OnRegistered() before any notification can reach it.
  absl::Status Add(const std::string& user_id, Subscriber* subscriber);
  // No-op when `subscriber` is not registered.
  void Remove(const std::string& user_id, Subscriber* subscriber);
  // Offers `notification` to every subscriber of its user; returns how many queued it.
  int Publish(const v1::Notification& notification);
  // Ends every subscription (OnShutdown) and refuses later Adds.
  void Shutdown();

  size_t CountFor(const std::string& user_id);
  size_t Total();

 private:
  const size_t max_subscribers_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::unordered_set<Subscriber*>> by_user_;
  size_t total_ = 0;
  bool shut_down_ = false;
};

}  // namespace switchboard::notification
