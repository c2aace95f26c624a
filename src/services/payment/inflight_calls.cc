#include "services/payment/inflight_calls.h"

#include <vector>

namespace switchboard::payment {

std::optional<uint64_t> InflightCalls::Add(std::shared_ptr<grpc::ClientContext> context) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shutting_down_) return std::nullopt;
  const uint64_t id = next_id_++;
  calls_.emplace(id, std::move(context));
  return id;
}

void InflightCalls::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  calls_.erase(id);
}

void InflightCalls::CancelAll() {
  std::vector<std::shared_ptr<grpc::ClientContext>> calls;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
    for (const auto& [id, context] : calls_) calls.push_back(context);
  }
  // Outside the lock: grpc may run the call's completion (and so Remove) inside TryCancel.
  for (const auto& context : calls) context->TryCancel();
}

bool InflightCalls::shutting_down() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shutting_down_;
}

}  // namespace switchboard::payment
