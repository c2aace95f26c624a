// Work a service is waiting on (an alarm for a delay, an outgoing call), registered so that
// shutdown can cancel all of it at once instead of waiting for each delay or deadline to pass.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/client_context.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace switchboard::common {

// How each kind of pending work is cancelled; a new kind adds an overload.
inline void CancelNow(grpc::Alarm& alarm) { alarm.Cancel(); }
inline void CancelNow(grpc::ClientContext& context) { context.TryCancel(); }

template <typename T>
class CancelOnShutdown {
 public:
  // Registers pending work; nullopt once shutdown began (the caller cancels or skips it).
  std::optional<uint64_t> Add(std::shared_ptr<T> work) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_) return std::nullopt;
    const uint64_t id = next_id_++;
    pending_.emplace(id, std::move(work));
    return id;
  }

  void Remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.erase(id);
  }

  // From now on Add refuses; everything registered is cancelled.
  void CancelAll() {
    std::vector<std::shared_ptr<T>> pending;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutting_down_ = true;
      for (const auto& [id, work] : pending_) pending.push_back(work);
    }
    // Outside the lock: a cancellation may complete its RPC at once (a fired alarm's callback,
    // TryCancel's completion), and the RPC's OnDone calls Remove.
    for (const auto& work : pending) CancelNow(*work);
  }

  bool shutting_down() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return shutting_down_;
  }

 private:
  mutable std::mutex mutex_;
  bool shutting_down_ = false;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::shared_ptr<T>> pending_;
};

}  // namespace switchboard::common
