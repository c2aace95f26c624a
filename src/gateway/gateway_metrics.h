// The gateway's counters in Prometheus text format (/metrics): calls by route, protocol and
// status, a latency histogram per protocol, open calls, upstream errors, and per backend what
// the balancers know. One GatewayMetrics per worker (event loop), written by that loop only;
// /metrics, whichever worker answers it, shows the sums over all of them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "lb/outlier.h"

namespace switchboard::gateway {

// One backend of one service as one worker's balancer sees it.
struct BackendSample {
  std::string service;
  std::string backend;  // host:port
  uint64_t requests = 0;
  int64_t in_flight = 0;
  bool healthy = true;
  // Ejected while the clock is before this: the page computes it when it is rendered, so an
  // ejection that lapsed since the sample was taken shows as lapsed.
  lb::Clock::time_point ejected_until{};
  bool draining = false;
  uint64_t ejections = 0;
  uint64_t failures = 0;
};

// Thread safety: each worker's counters and backend samples sit behind its own mutex, held
// only to change or copy them (never while taking another worker's, never across a callback),
// so a render on one worker never waits for another worker's loop and two renders at once
// cannot deadlock. The writer is always the worker's own loop; the lock is uncontended except
// while a render copies.
class GatewayMetrics {
 public:
  // Told after a change made through this object, outside its lock, on the writer's thread:
  // the worker refreshes its backend samples then (`call_finished` for a finished call, whose
  // counts the page must show before the client can have seen the end of the call).
  using OnChange = std::function<void(bool call_finished)>;

  void CallStarted();
  // `protocol`: grpc, grpc-web or rest; `method`: "/pkg.Service/Method" or "-".
  void CallFinished(const std::string& protocol, const std::string& method,
                    const std::string& status, std::chrono::steady_clock::duration elapsed,
                    bool was_open);
  void UpstreamError(const std::string& backend);
  // A call tried again on another backend.
  void Retry(const std::string& service);
  // A client dropped for stalling longer than limits.slow_client_timeout; `phase`: headers,
  // body or response.
  void SlowClient(const std::string& protocol, const std::string& phase);
  // A call refused for its token (`reason`: auth::RejectionLabel) or over its rate limit.
  void AuthRejected(const std::string& reason);
  void RateLimited(const std::string& method);
  // A client's HTTP/2 connection ended for misbehaving (`reason`: H2ConnectionErrorLabel).
  void H2ConnectionError(const std::string& reason);
  // A client connection closed at accept (`limit`: max_connections or
  // max_connections_per_client).
  void ConnectionRefused(const std::string& limit);

  // Set before any loop runs, then only read.
  void SetOnChange(OnChange on_change) { on_change_ = std::move(on_change); }
  // Every worker's metrics, this one among them (in worker order): what Render sums. Without
  // a group Render shows this object alone. Set before any loop runs, then only read.
  void SetGroup(std::vector<const GatewayMetrics*> group) { group_ = std::move(group); }
  // This worker's per-backend samples from now on; `samples` gets the previous ones back, so
  // a worker that publishes after every call reuses their strings instead of allocating.
  void PublishBackends(std::vector<BackendSample>* samples);

  // The whole page: counters summed over the group; per backend, requests, in-flight calls,
  // failures and ejections summed, and the 0/1 gauges (healthy, ejected, draining) as the
  // share of the workers listing that backend for which it holds, so 1 still means "on every
  // worker" and 0 "on none". With one worker every value reads as it always has.
  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5, 10};
  struct Histogram {
    std::array<uint64_t, kBucketsSeconds.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  struct Counters {
    int64_t open_calls = 0;
    // Transparent comparison: a finished call looks its counter up without building strings.
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t, std::less<>> calls;
    std::map<std::string, Histogram> latency;
    std::map<std::string, uint64_t> upstream_errors;
    std::map<std::string, uint64_t> retries;
    std::map<std::pair<std::string, std::string>, uint64_t> slow_clients;
    std::map<std::string, uint64_t> auth_rejected;  // by reason
    std::map<std::string, uint64_t> rate_limited;   // by method
    std::map<std::string, uint64_t> h2_connection_errors;  // by reason
    std::map<std::string, uint64_t> connections_refused;   // by limit
    void Add(const Counters& other);
  };
  void Changed(bool call_finished) const {
    if (on_change_) on_change_(call_finished);
  }

  mutable std::mutex mutex_;
  Counters counters_;                    // guarded by mutex_
  std::vector<BackendSample> backends_;  // guarded by mutex_
  std::vector<const GatewayMetrics*> group_;
  OnChange on_change_;
};

}  // namespace switchboard::gateway
