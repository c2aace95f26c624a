// The gateway's counters in Prometheus text format (/metrics): calls by route, protocol and
// status, a latency histogram per protocol, open calls, upstream errors. Used from the event
// loop thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace switchboard::gateway {

// One backend of one service as /metrics shows it.
struct BackendSample {
  std::string service;
  std::string backend;  // host:port
  uint64_t requests = 0;
  int64_t in_flight = 0;
  bool healthy = true;
  bool ejected = false;
  bool draining = false;
  uint64_t ejections = 0;
  uint64_t failures = 0;
};

class GatewayMetrics {
 public:
  using BackendSource = std::function<std::vector<BackendSample>()>;
  void CallStarted() { ++open_calls_; }
  // `protocol`: grpc, grpc-web or rest; `method`: "/pkg.Service/Method" or "-".
  void CallFinished(const std::string& protocol, const std::string& method,
                    const std::string& status, std::chrono::steady_clock::duration elapsed,
                    bool was_open);
  void UpstreamError(const std::string& backend) { ++upstream_errors_[backend]; }
  // A call tried again on another backend.
  void Retry(const std::string& service) { ++retries_[service]; }
  // Where the per-backend samples come from (the balancers); read at each Render.
  void SetBackendSource(BackendSource source) { backend_source_ = std::move(source); }
  // A client dropped for stalling longer than limits.slow_client_timeout; `phase`: headers,
  // body or response.
  void SlowClient(const std::string& protocol, const std::string& phase) {
    ++slow_clients_[{protocol, phase}];
  }
  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5, 10};
  struct Histogram {
    std::array<uint64_t, kBucketsSeconds.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  int64_t open_calls_ = 0;
  // Transparent comparison: a finished call looks its counter up without building strings.
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t, std::less<>> calls_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, uint64_t> upstream_errors_;
  std::map<std::string, uint64_t> retries_;
  BackendSource backend_source_;
  std::map<std::pair<std::string, std::string>, uint64_t> slow_clients_;
};

// grpc-status from trailers, else from trailers-only headers; -1 when neither has one.
int GrpcStatusOf(const std::string* trailers_status, const std::string* headers_status);

}  // namespace switchboard::gateway
