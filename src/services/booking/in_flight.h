// Bookings whose chain is still running, so that a concurrent request with the same
// idempotency key waits for the first one's result instead of booking again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <grpcpp/support/status.h>

#include "services/booking/booking_store.h"

namespace switchboard::booking {

class InFlight {
 public:
  using Waiter = std::function<void(const BookingRecord&, const grpc::Status&)>;

  void Begin(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.insert(id);
  }

  bool Contains(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_.count(id) > 0;
  }

  // Registers `waiter` for booking `id`; false when it is not running (read the store then).
  // The waiter runs under this object's lock, so it must only hand the result on.
  bool Wait(const std::string& id, uint64_t* token, Waiter waiter) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_.count(id) == 0) return false;
    *token = ++next_token_;
    waiters_[id][*token] = std::move(waiter);
    return true;
  }

  // After Forget returns, the waiter is never called.
  void Forget(const std::string& id, uint64_t token) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = waiters_.find(id);
    if (it != waiters_.end()) it->second.erase(token);
  }

  // Call after the result is saved, so a request arriving later finds it in the store.
  void Complete(const std::string& id, const BookingRecord& record, const grpc::Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(id);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return;
    for (auto& [token, waiter] : it->second) waiter(record, status);
    waiters_.erase(it);
  }

 private:
  std::mutex mutex_;
  std::set<std::string> running_;
  std::map<std::string, std::map<uint64_t, Waiter>> waiters_;
  uint64_t next_token_ = 0;
};

}  // namespace switchboard::booking
