// What the bus tests share: handlers that record what they receive (messages, connection
// changes), with bounded waits.
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
// How long a client may take to notice a lost server, or to reconnect once it is back.
inline constexpr auto kReconnectWait = std::chrono::seconds(20);

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

// Collects what a connection watch (or a health report) is told, with a bounded wait.
class ConnectionLog {
 public:
  ConnectionHandler AsHandler() {
    return [this](bool connected) {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.push_back(connected);
      changed_.notify_all();
    };
  }
  bool WaitFor(const std::vector<bool>& expected) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kReconnectWait, [&] { return seen_ == expected; });
  }
  std::vector<bool> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> seen_;
};

inline std::vector<std::string> Numbered(const std::string& prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

}  // namespace switchboard::bus::testing
