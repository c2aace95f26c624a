#include "lb/policy.h"

#include "absl/strings/str_cat.h"
#include "lb/least_request.h"
#include "lb/ring_hash.h"
#include "lb/round_robin.h"
#include "lb/weighted_round_robin.h"

namespace switchboard::lb {

int NextUsable(const std::vector<Candidate>& candidates, size_t start) {
  const size_t n = candidates.size();
  for (size_t i = 0; i < n; ++i) {
    const size_t index = (start + i) % n;
    if (candidates[index].usable) return static_cast<int>(index);
  }
  return -1;
}

absl::StatusOr<std::unique_ptr<Policy>> NewPolicy(const std::string& name,
                                                  const std::vector<Candidate>& endpoints,
                                                  uint64_t seed) {
  if (name == kRoundRobin) return std::unique_ptr<Policy>(new RoundRobin());
  if (name == kLeastRequest) return std::unique_ptr<Policy>(new LeastRequest(seed));
  if (name == kWeighted) return std::unique_ptr<Policy>(new WeightedRoundRobin(endpoints.size()));
  if (name == kRingHash) return std::unique_ptr<Policy>(new RingHash(endpoints));
  return absl::InvalidArgumentError(absl::StrCat("unknown balancing policy \"", name, "\""));
}

}  // namespace switchboard::lb
