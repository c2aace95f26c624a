#include "lb/weighted_round_robin.h"

namespace switchboard::lb {

int WeightedRoundRobin::Pick(const std::vector<Candidate>& candidates, const std::string*) {
  if (current_.size() != candidates.size()) current_.assign(candidates.size(), 0);
  int best = -1;
  int64_t total = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!candidates[i].usable) continue;
    current_[i] += candidates[i].weight;
    total += candidates[i].weight;
    if (best < 0 || current_[i] > current_[best]) best = static_cast<int>(i);
  }
  if (best >= 0) current_[best] -= total;
  return best;
}

}  // namespace switchboard::lb
