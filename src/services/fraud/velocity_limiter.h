// Per-user sliding-window count of approved checks, in memory: the fraud "velocity" rule.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace switchboard::fraud {

class VelocityLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  enum class Verdict {
    kRecorded,     // under the limit; this check now counts against the window
    kOverLimit,    // the user already has `max_per_window` checks in the window
    kTrackerFull,  // `max_users` users have checks in the window; nothing recorded
  };

  VelocityLimiter(int64_t max_per_window, std::chrono::milliseconds window, size_t max_users,
                  Clock clock = std::chrono::steady_clock::now);

  // Counts one approved check for `user_id` when that keeps the user within the limit.
  Verdict TryRecord(const std::string& user_id);
  // How many checks `user_id` has in the current window.
  int64_t CountInWindow(const std::string& user_id);
  size_t TrackedUsers();

  int64_t max_per_window() const { return max_per_window_; }
  std::chrono::milliseconds window() const { return window_; }

 private:
  using Times = std::deque<std::chrono::steady_clock::time_point>;
  void DropExpired(Times& times, std::chrono::steady_clock::time_point now) const;
  // Forgets users whose checks have all left the window.
  void SweepLocked(std::chrono::steady_clock::time_point now);

  const int64_t max_per_window_;
  const std::chrono::milliseconds window_;
  const size_t max_users_;
  const Clock clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Times> checks_;
};

}  // namespace switchboard::fraud
