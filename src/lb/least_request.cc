#include "lb/least_request.h"

namespace switchboard::lb {

int LeastRequest::Pick(const std::vector<Candidate>& candidates, const std::string*) {
  usable_.clear();
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].usable) usable_.push_back(static_cast<int>(i));
  }
  if (usable_.empty()) return -1;
  if (usable_.size() == 1) return usable_[0];
  const size_t n = usable_.size();
  const size_t first = random_() % n;
  // A second draw among the other n-1, so the two are always distinct.
  const size_t second = (first + 1 + random_() % (n - 1)) % n;
  const int a = usable_[first];
  const int b = usable_[second];
  if (candidates[b].in_flight < candidates[a].in_flight) return b;
  if (candidates[a].in_flight < candidates[b].in_flight) return a;
  return random_() % 2 == 0 ? a : b;
}

}  // namespace switchboard::lb
