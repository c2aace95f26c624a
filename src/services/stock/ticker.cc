#include "services/stock/ticker.h"

namespace switchboard::stock {

Ticker::Ticker(std::chrono::milliseconds interval, std::function<void()> tick)
    : interval_(interval), tick_(std::move(tick)), thread_([this] { Run(); }) {}

void Ticker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Ticker::Run() {
  auto next = std::chrono::steady_clock::now() + interval_;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_requested_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    tick_();
    lock.lock();
    // Keep the cadence; after a tick that overran, start again from now instead of bursting.
    next += interval_;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + interval_;
  }
}

}  // namespace switchboard::stock
