// What the bus tests share: a handler that records what it receives, with bounded waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/bus/bus.h"

namespace switchboard::bus::testing {

inline constexpr auto kWait = std::chrono::seconds(10);

class Recorder {
 public:
  Handler AsHandler() {
    return [this](const Message& message) {
      if (block_) block_();
      std::lock_guard<std::mutex> lock(mutex_);
      received_.push_back(message);
      changed_.notify_all();
    };
  }
  // Runs before each message is recorded (to make a slow subscriber).
  void BlockWith(std::function<void()> block) { block_ = std::move(block); }

  bool WaitForCount(size_t count, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
  }
  std::vector<Message> received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  std::vector<std::string> data() {
    std::vector<std::string> out;
    for (const auto& m : received()) out.push_back(m.data);
    return out;
  }

 private:
  std::function<void()> block_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Message> received_;
};

inline std::vector<std::string> Numbered(const std::string& prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

}  // namespace switchboard::bus::testing
