// One service's backends as the balancer sees them: each endpoint's weight, requests in
// flight, active health, outlier state and whether it drains, and the policy that picks among
// those that may take a request. Pure logic on the caller's thread; time is passed in.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lb/health.h"
#include "lb/outlier.h"
#include "lb/policy.h"
#include "lb/rtt_estimate.h"

namespace switchboard::lb {

struct EndpointSpec {
  std::string address;  // host:port
  int weight = 1;
};

struct BalancerOptions {
  std::string policy = kRoundRobin;
  HealthOptions health;
  OutlierOptions outlier;
  PeakEwmaOptions peak_ewma;  // read when policy is peak_ewma
};

struct Endpoint {
  explicit Endpoint(std::string a) : address(std::move(a)) {}
  const std::string address;
  int weight = 1;
  int64_t in_flight = 0;
  uint64_t requests = 0;
  uint64_t failures = 0;
  HealthState health;
  OutlierState outlier;
  // Removed from the configuration: takes no new request, finishes those it has.
  bool draining = false;
  // peak_ewma only: the measured round-trip time, and when the calls still open on it were
  // picked (oldest first; see Balancer::RecordResult).
  RttEstimate rtt;
  std::deque<Clock::time_point> picked_at;

  bool Usable(Clock::time_point now) const {
    return !draining && health.healthy() && !outlier.Ejected(now);
  }
};

class Balancer {
 public:
  static absl::StatusOr<std::shared_ptr<Balancer>> Create(const std::string& service,
                                                          const BalancerOptions& options,
                                                          const std::vector<EndpointSpec>& specs,
                                                          uint64_t seed);

  // A new configuration for the same service. Endpoints that stay (same address) keep their
  // state and counters; the ones that go are marked draining and returned.
  absl::StatusOr<std::vector<std::shared_ptr<Endpoint>>> Update(
      const BalancerOptions& options, const std::vector<EndpointSpec>& specs);

  // An endpoint for one request, none of `tried` (earlier attempts of the same call).
  // UNAVAILABLE "no healthy backend for <service>" when none may take it.
  absl::StatusOr<std::shared_ptr<Endpoint>> Pick(const std::string* hash_key,
                                                 const std::vector<const Endpoint*>& tried,
                                                 Clock::time_point now);

  // A call on `endpoint` ended: failed (transport failure or UNAVAILABLE) or not. True when
  // this failure ejected the endpoint. Under peak_ewma the call's round trip is also measured:
  // the caller does not say which of the endpoint's open calls ended, so the oldest pick is
  // taken, which is the call that ends first when calls on one endpoint take about as long.
  // Call it after the endpoint's in_flight has dropped the call: picks beyond in_flight + 1
  // (tries cancelled without a result) are forgotten oldest first.
  bool RecordResult(Endpoint& endpoint, bool failed, Clock::time_point now);
  // An active health check of `endpoint` passed or failed. True when its health flipped.
  bool RecordCheck(Endpoint& endpoint, bool passed);
  // `endpoint` has no health service to check: healthy until its connection is renewed.
  // True when its health flipped.
  bool RecordUncheckable(Endpoint& endpoint);

  const std::string& service() const { return service_; }
  const BalancerOptions& options() const { return options_; }
  const std::vector<std::shared_ptr<Endpoint>>& endpoints() const { return endpoints_; }

 private:
  Balancer(std::string service, uint64_t seed) : service_(std::move(service)), seed_(seed) {}
  absl::Status Rebuild(const BalancerOptions& options);
  bool MeasuresLatency() const { return options_.policy == kPeakEwma; }

  std::string service_;
  uint64_t seed_;
  BalancerOptions options_;
  std::vector<std::shared_ptr<Endpoint>> endpoints_;
  std::unique_ptr<Policy> policy_;
  std::vector<Candidate> candidates_;  // reused between picks
};

// Bound on the pick times kept per endpoint, whatever the caller does with its picks.
inline constexpr size_t kMaxPicksTracked = 4096;

}  // namespace switchboard::lb
