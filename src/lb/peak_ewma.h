// Peak-EWMA with the power of two choices, as Linkerd balances HTTP and gRPC (tower's
// PeakEwma): two distinct usable endpoints drawn at random, the lower cost wins, where cost is
// the endpoint's peak-EWMA round-trip time (lb/rtt_estimate.h) times (requests in flight + 1).
// Latency-aware where least_request only counts: a replica that answers slowly gets less even
// when few calls are open on it.
#pragma once

#include <random>

#include "lb/policy.h"
#include "lb/rtt_estimate.h"

namespace switchboard::lb {

class PeakEwma : public Policy {
 public:
  // `options` must have passed ValidatePeakEwmaOptions.
  PeakEwma(uint64_t seed, PeakEwmaOptions options) : random_(seed), options_(std::move(options)) {}
  // A candidate without an estimate (rtt == nullptr) costs options.default_rtt per request.
  int Pick(const std::vector<Candidate>& candidates, const std::string* hash_key) override;

  // The cost the policy compares: RTT estimate at `now` in nanoseconds x (in_flight + 1).
  double Cost(const Candidate& candidate, Clock::time_point now) const;

 private:
  std::mt19937_64 random_;
  const PeakEwmaOptions options_;
  std::vector<int> usable_;  // reused between picks
};

}  // namespace switchboard::lb
