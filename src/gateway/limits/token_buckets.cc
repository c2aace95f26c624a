#include "gateway/limits/token_buckets.h"

#include <openssl/sha.h>

#include <algorithm>

namespace switchboard::gateway::limits {

TokenBuckets::TokenBuckets(double requests_per_second, double burst, size_t max_keys, Now now)
    : rate_(requests_per_second),
      burst_(burst),
      max_keys_(std::max<size_t>(max_keys, 1)),
      now_(std::move(now)) {}

TokenBuckets::Decision TokenBuckets::Take(std::string_view key) {
  std::string name;
  if (key.size() > kMaxKeyBytes) {
    name.resize(SHA256_DIGEST_LENGTH);
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(),
           reinterpret_cast<unsigned char*>(name.data()));
  } else {
    name.assign(key);
  }
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(name);
  if (it == buckets_.end()) {
    // The number of buckets is bounded, so a client rotating keys (addresses, header values,
    // claims) cannot grow memory: past max_keys, a new key takes the place of the bucket used
    // least recently. An evicted key comes back with a full bucket, which costs nothing when
    // that bucket had been idle for burst / requests_per_second, as a full bucket has.
    if (buckets_.size() >= max_keys_) {
      buckets_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(name);
    it = buckets_.emplace(std::move(name), Bucket{burst_, now, order_.begin()}).first;
  } else {
    order_.splice(order_.begin(), order_, it->second.position);
  }
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
    bucket.updated = now;
  }
  Decision decision;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return decision;
  }
  decision.allowed = false;
  decision.retry_after = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>((1 - bucket.tokens) / rate_));
  return decision;
}

size_t TokenBuckets::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

}  // namespace switchboard::gateway::limits
