#include "lb/policy.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lb/least_request.h"
#include "lb/peak_ewma.h"
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

std::vector<std::string> PolicyNames() {
  return {kRoundRobin, kLeastRequest, kWeighted, kRingHash, kPeakEwma};
}

bool IsPolicyName(std::string_view name) {
  for (const auto& known : PolicyNames()) {
    if (name == known) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Policy>> NewPolicy(const std::string& name,
                                                  const std::vector<Candidate>& endpoints,
                                                  uint64_t seed, const PeakEwmaOptions& peak_ewma) {
  if (name == kRoundRobin) return std::unique_ptr<Policy>(new RoundRobin());
  if (name == kLeastRequest) return std::unique_ptr<Policy>(new LeastRequest(seed));
  if (name == kWeighted) return std::unique_ptr<Policy>(new WeightedRoundRobin(endpoints.size()));
  if (name == kRingHash) return std::unique_ptr<Policy>(new RingHash(endpoints));
  if (name == kPeakEwma) {
    if (auto valid = ValidatePeakEwmaOptions(peak_ewma); !valid.ok()) return valid;
    return std::unique_ptr<Policy>(new PeakEwma(seed, peak_ewma));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown balancing policy \"", name, "\" (known: ", absl::StrJoin(PolicyNames(), ", "), ")"));
}

}  // namespace switchboard::lb
