// The alarms of checks that are waiting out the configured delay, so that shutdown can end them
// all at once instead of letting the server wait for each delay to pass.
#pragma once

#include <grpcpp/alarm.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace switchboard::fraud {

class PendingAlarms {
 public:
  // Registers a set alarm; nullopt once shutdown began (the caller cancels the alarm itself).
  std::optional<uint64_t> Add(std::shared_ptr<grpc::Alarm> alarm);
  void Remove(uint64_t id);
  // From now on Add refuses; every registered alarm fires at once with ok=false.
  void CancelAll();
  bool shutting_down() const;

 private:
  mutable std::mutex mutex_;
  bool shutting_down_ = false;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::shared_ptr<grpc::Alarm>> alarms_;
};

}  // namespace switchboard::fraud
