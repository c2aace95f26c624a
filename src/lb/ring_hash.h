// Consistent hashing on a ring (Karger et al.; Envoy's ring_hash): each endpoint owns many
// points on a 64-bit ring, kVirtualNodesPerWeight per unit of weight, and a request goes to
// the owner of the first point at or after the hash of its key. Removing an endpoint moves
// only the keys it owned. A request without a key is balanced round robin.
#pragma once

#include <utility>

#include "lb/policy.h"
#include "lb/round_robin.h"

namespace switchboard::lb {

// 64-bit hash of `text`: FNV-1a then the splitmix64 finalizer, stable across platforms and
// runs (std::hash is neither promised to be).
uint64_t Hash64(std::string_view text);

class RingHash : public Policy {
 public:
  static constexpr int kVirtualNodesPerWeight = 100;
  // Bounds memory for large weights: the points per weight unit shrink to fit.
  static constexpr size_t kMaxRingPoints = 1 << 20;

  explicit RingHash(const std::vector<Candidate>& endpoints);
  int Pick(const std::vector<Candidate>& candidates, const std::string* hash_key) override;
  size_t ring_size() const { return ring_.size(); }

 private:
  std::vector<std::pair<uint64_t, int>> ring_;  // (point, endpoint index), sorted by point
  RoundRobin without_key_;
};

}  // namespace switchboard::lb
