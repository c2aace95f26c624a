// The one interface every balancing policy implements (one file per policy, as brpc's
// src/brpc/policy): given the endpoints and which of them may take a request, pick one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lb/rtt_estimate.h"

namespace switchboard::lb {

// What a policy sees of one endpoint for one pick.
struct Candidate {
  std::string_view address;  // host:port, stable identity across reloads
  int weight = 1;
  int64_t in_flight = 0;             // requests the gateway has open on it now
  bool usable = true;                // healthy, not ejected, not draining, not already tried
  const RttEstimate* rtt = nullptr;  // its measured latency (read by peak_ewma)
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Index into `candidates` of an endpoint with usable == true, or -1 when there is none.
  // `hash_key` is the request's hash header value (nullptr: the request has none).
  // `candidates` has the same size and order as the endpoint list the policy was made for.
  virtual int Pick(const std::vector<Candidate>& candidates, const std::string* hash_key) = 0;
};

inline constexpr char kRoundRobin[] = "round_robin";
inline constexpr char kLeastRequest[] = "least_request";
inline constexpr char kWeighted[] = "weighted";
inline constexpr char kRingHash[] = "ring_hash";
inline constexpr char kPeakEwma[] = "peak_ewma";

// Every name NewPolicy accepts, for error messages and config validation.
std::vector<std::string> PolicyNames();
bool IsPolicyName(std::string_view name);

// The policy named `name` for `endpoints` (their addresses and weights; ring_hash builds its
// ring from them). `seed` seeds the random choices of least_request and peak_ewma;
// `peak_ewma` configures the latter (and is validated only for it).
absl::StatusOr<std::unique_ptr<Policy>> NewPolicy(const std::string& name,
                                                  const std::vector<Candidate>& endpoints,
                                                  uint64_t seed,
                                                  const PeakEwmaOptions& peak_ewma = {});

// Index of the first usable candidate at or after `start` (wrapping), or -1.
int NextUsable(const std::vector<Candidate>& candidates, size_t start);

}  // namespace switchboard::lb
