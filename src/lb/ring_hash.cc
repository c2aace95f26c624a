#include "lb/ring_hash.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace switchboard::lb {

uint64_t Hash64(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

RingHash::RingHash(const std::vector<Candidate>& endpoints) {
  size_t total_weight = 0;
  for (const auto& endpoint : endpoints) total_weight += static_cast<size_t>(endpoint.weight);
  size_t per_weight = kVirtualNodesPerWeight;
  if (total_weight > 0 && total_weight * per_weight > kMaxRingPoints) {
    per_weight = std::max<size_t>(1, kMaxRingPoints / total_weight);
  }
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const size_t points = per_weight * static_cast<size_t>(endpoints[i].weight);
    for (size_t p = 0; p < points; ++p) {
      // Points depend on the address only, so the other endpoints keep theirs when one goes.
      ring_.emplace_back(Hash64(absl::StrCat(std::string(endpoints[i].address), "#", p)),
                         static_cast<int>(i));
    }
  }
  std::sort(ring_.begin(), ring_.end());
}

int RingHash::Pick(const std::vector<Candidate>& candidates, const std::string* hash_key) {
  if (hash_key == nullptr || ring_.empty()) return without_key_.Pick(candidates, nullptr);
  const uint64_t h = Hash64(*hash_key);
  auto it = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(h, -1));
  // Walk clockwise past points of endpoints that cannot take the request: their keys spread
  // over the next owners instead of all landing on one.
  for (size_t step = 0; step < ring_.size(); ++step, ++it) {
    if (it == ring_.end()) it = ring_.begin();
    const int index = it->second;
    if (index < static_cast<int>(candidates.size()) && candidates[index].usable) return index;
  }
  return -1;
}

}  // namespace switchboard::lb
