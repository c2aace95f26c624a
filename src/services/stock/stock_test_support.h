// Test helpers for the stock service: a controllable clock, a server factory with injected
// dependencies, and a watch client that records every update it reads.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/service.h"
#include "services/stock/stock_service.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"

namespace switchboard::stock::testing {

// Every client call gets a deadline; waits for a condition are bounded by kWaitTimeout.
inline constexpr std::chrono::seconds kCallDeadline{30};
inline constexpr std::chrono::seconds kWaitTimeout{10};
inline constexpr std::chrono::milliseconds kPollInterval{2};

inline std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + kCallDeadline;
}

// Polls `condition` until it holds or `timeout` passes; the result is its last value.
inline bool WaitUntil(const std::function<bool()>& condition,
                      std::chrono::milliseconds timeout = kWaitTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

class FakeClock {
 public:
  static constexpr int64_t kStartMs = 1700000000000;  // 2023-11-14, any fixed instant will do
  UnixMillisClock AsClock() {
    return [this] { return now_ms_.load(); };
  }
  int64_t now() const { return now_ms_.load(); }
  void Advance(int64_t ms) { now_ms_ += ms; }

 private:
  std::atomic<int64_t> now_ms_{kStartMs};
};

// A factory for TestServer making a StockService with `deps`.
inline common::ServiceFactory StockFactory(StockDeps deps) {
  return [deps](const common::ServiceOptions& options)
             -> absl::StatusOr<std::unique_ptr<common::Service>> {
    auto service = NewStockService(options, deps);
    if (!service.ok()) return service.status();
    return std::unique_ptr<common::Service>(std::move(*service));
  };
}

// A WatchStockPrice call on the callback API. Records every update; created with
// `read = false` it reads nothing until StartReading, like a client that has stalled.
class Watcher : public grpc::ClientReadReactor<v1::PriceUpdate> {
 public:
  Watcher(v1::StockService::Stub* stub, const std::string& symbol, bool read = true) {
    context_.set_deadline(CallDeadline());
    request_.set_symbol(symbol);
    stub->async()->WatchStockPrice(&context_, &request_, this);
    if (read) StartRead(&incoming_);
    StartCall();
  }

  // The stream must be over before its reactor goes away: cancel, then wait for OnDone.
  ~Watcher() override {
    Cancel();
    if (!WaitDone(kWaitTimeout)) {
      fprintf(stderr, "Watcher: stream did not end within %llds of cancelling\n",
              static_cast<long long>(kWaitTimeout.count()));
      std::abort();
    }
  }

  void StartReading() { StartRead(&incoming_); }
  void Cancel() { context_.TryCancel(); }

  // True once at least `count` updates have arrived.
  bool WaitForCount(size_t count, std::chrono::milliseconds timeout = kWaitTimeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return updates_.size() >= count; });
  }
  // True once an update satisfying `match` has arrived.
  bool WaitForUpdate(const std::function<bool(const v1::PriceUpdate&)>& match,
                     std::chrono::milliseconds timeout = kWaitTimeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return !updates_.empty() && match(updates_.back()); });
  }
  bool WaitDone(std::chrono::milliseconds timeout = kWaitTimeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done_; });
  }

  std::vector<v1::PriceUpdate> updates() {
    std::lock_guard<std::mutex> lock(mutex_);
    return updates_;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return updates_.size();
  }
  bool done() {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
  }
  grpc::Status status() {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      updates_.push_back(incoming_);
    }
    changed_.notify_all();
    StartRead(&incoming_);
  }

  void OnDone(const grpc::Status& status) override {
    // Notified under the lock: the destructor may run as soon as it sees done_.
    std::lock_guard<std::mutex> lock(mutex_);
    status_ = status;
    done_ = true;
    changed_.notify_all();
  }

  grpc::ClientContext context_;
  v1::StockRequest request_;
  v1::PriceUpdate incoming_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<v1::PriceUpdate> updates_;
  bool done_ = false;
  grpc::Status status_;
};

}  // namespace switchboard::stock::testing
