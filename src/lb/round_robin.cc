#include "lb/round_robin.h"

namespace switchboard::lb {

int RoundRobin::Pick(const std::vector<Candidate>& candidates, const std::string*) {
  if (candidates.empty()) return -1;
  const int index = NextUsable(candidates, next_ % candidates.size());
  if (index >= 0) next_ = static_cast<size_t>(index) + 1;
  return index;
}

}  // namespace switchboard::lb
