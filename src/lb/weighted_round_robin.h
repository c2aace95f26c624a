// Smooth weighted round robin (nginx's ngx_http_upstream_get_peer): every pick each usable
// endpoint's current weight grows by its weight, the largest wins and drops by the total, so
// weights 5:1:1 give a a b a c a a rather than a a a a a b c.
#pragma once

#include "lb/policy.h"

namespace switchboard::lb {

class WeightedRoundRobin : public Policy {
 public:
  explicit WeightedRoundRobin(size_t endpoints) : current_(endpoints, 0) {}
  int Pick(const std::vector<Candidate>& candidates, const std::string* hash_key) override;

 private:
  std::vector<int64_t> current_;
};

}  // namespace switchboard::lb
