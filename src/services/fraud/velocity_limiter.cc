#include "services/fraud/velocity_limiter.h"

namespace switchboard::fraud {

VelocityLimiter::VelocityLimiter(int64_t max_per_window, std::chrono::milliseconds window,
                                 size_t max_users, Clock clock)
    : max_per_window_(max_per_window),
      window_(window),
      max_users_(max_users),
      clock_(std::move(clock)) {}

void VelocityLimiter::DropExpired(Times& times, std::chrono::steady_clock::time_point now) const {
  // A check made exactly `window_` ago has left the window.
  while (!times.empty() && times.front() + window_ <= now) times.pop_front();
}

void VelocityLimiter::SweepLocked(std::chrono::steady_clock::time_point now) {
  for (auto it = checks_.begin(); it != checks_.end();) {
    DropExpired(it->second, now);
    it = it->second.empty() ? checks_.erase(it) : std::next(it);
  }
}

VelocityLimiter::Verdict VelocityLimiter::TryRecord(const std::string& user_id) {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = checks_.find(user_id);
  if (it == checks_.end()) {
    // Sweeping only when full keeps the common path O(1) and memory bounded.
    if (checks_.size() >= max_users_) SweepLocked(now);
    if (checks_.size() >= max_users_) return Verdict::kTrackerFull;
    it = checks_.emplace(user_id, Times()).first;
  }
  DropExpired(it->second, now);
  if (static_cast<int64_t>(it->second.size()) >= max_per_window_) return Verdict::kOverLimit;
  it->second.push_back(now);
  return Verdict::kRecorded;
}

int64_t VelocityLimiter::CountInWindow(const std::string& user_id) {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = checks_.find(user_id);
  if (it == checks_.end()) return 0;
  DropExpired(it->second, now);
  return static_cast<int64_t>(it->second.size());
}

size_t VelocityLimiter::TrackedUsers() {
  std::lock_guard<std::mutex> lock(mutex_);
  return checks_.size();
}

}  // namespace switchboard::fraud
