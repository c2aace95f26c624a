// The fraud calls that charges are waiting on, so that shutdown can cancel them all at once
// instead of waiting for each one's deadline.
#pragma once

#include <grpcpp/client_context.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace switchboard::payment {

class InflightCalls {
 public:
  // Registers a downstream call's context; nullopt once shutdown began (do not start the call).
  std::optional<uint64_t> Add(std::shared_ptr<grpc::ClientContext> context);
  void Remove(uint64_t id);
  // From now on Add refuses; every registered call is cancelled.
  void CancelAll();
  bool shutting_down() const;

 private:
  mutable std::mutex mutex_;
  bool shutting_down_ = false;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::shared_ptr<grpc::ClientContext>> calls_;
};

}  // namespace switchboard::payment
