// Least request by the power of two random choices: two distinct usable endpoints drawn at
// random, the one with fewer requests in flight (from this gateway) wins. Cheaper than a full
// scan and avoids the herd that "always the least loaded" causes.
#pragma once

#include <random>

#include "lb/policy.h"

namespace switchboard::lb {

class LeastRequest : public Policy {
 public:
  explicit LeastRequest(uint64_t seed) : random_(seed) {}
  int Pick(const std::vector<Candidate>& candidates, const std::string* hash_key) override;

 private:
  std::mt19937_64 random_;
  std::vector<int> usable_;  // reused between picks
};

}  // namespace switchboard::lb
