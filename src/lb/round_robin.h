// Round robin: each request to the next usable endpoint in order.
#pragma once

#include "lb/policy.h"

namespace switchboard::lb {

class RoundRobin : public Policy {
 public:
  int Pick(const std::vector<Candidate>& candidates, const std::string* hash_key) override;

 private:
  size_t next_ = 0;
};

}  // namespace switchboard::lb
