#include "services/fraud/pending_alarms.h"

#include <vector>

namespace switchboard::fraud {

std::optional<uint64_t> PendingAlarms::Add(std::shared_ptr<grpc::Alarm> alarm) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shutting_down_) return std::nullopt;
  const uint64_t id = next_id_++;
  alarms_.emplace(id, std::move(alarm));
  return id;
}

void PendingAlarms::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  alarms_.erase(id);
}

void PendingAlarms::CancelAll() {
  std::vector<std::shared_ptr<grpc::Alarm>> alarms;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
    for (const auto& [id, alarm] : alarms_) alarms.push_back(alarm);
  }
  // Outside the lock: a cancelled alarm's callback may finish its RPC, whose OnDone calls Remove.
  for (const auto& alarm : alarms) alarm->Cancel();
}

bool PendingAlarms::shutting_down() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shutting_down_;
}

}  // namespace switchboard::fraud
