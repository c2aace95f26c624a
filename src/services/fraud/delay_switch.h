// The fraud check's artificial delay as a value that changes at run time (the SetDelay admin
// RPC), read by every check as it starts. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>

#include "absl/status/status.h"

namespace switchboard::fraud {

class DelaySwitch {
 public:
  // `max`: the longest delay Set accepts.
  DelaySwitch(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : delay_ms_(initial.count()), max_(max) {}

  std::chrono::milliseconds Get() const {
    return std::chrono::milliseconds(delay_ms_.load(std::memory_order_relaxed));
  }
  // INVALID_ARGUMENT naming the value when it is negative or above the maximum.
  absl::Status Set(std::chrono::milliseconds delay);

 private:
  std::atomic<std::chrono::milliseconds::rep> delay_ms_;
  const std::chrono::milliseconds max_;
};

}  // namespace switchboard::fraud
