#include "lb/peak_ewma.h"

namespace switchboard::lb {

double PeakEwma::Cost(const Candidate& candidate, Clock::time_point now) const {
  const double rtt = candidate.rtt != nullptr
                         ? candidate.rtt->Nanos(now, options_)
                         : std::chrono::duration<double, std::nano>(options_.default_rtt).count();
  return rtt * static_cast<double>(candidate.in_flight + 1);
}

int PeakEwma::Pick(const std::vector<Candidate>& candidates, const std::string*) {
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
  const Clock::time_point now = options_.clock();
  const double cost_a = Cost(candidates[a], now);
  const double cost_b = Cost(candidates[b], now);
  if (cost_b < cost_a) return b;
  if (cost_a < cost_b) return a;
  return random_() % 2 == 0 ? a : b;
}

}  // namespace switchboard::lb
