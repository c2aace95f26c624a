// Token buckets by client key for one rate limit (`rate_limit:` of a service or a method):
// each key may spend `burst` calls at once and gets `requests_per_second` back over time.
// Thread-safe (the gateway's workers share one per limit), the clock injectable for tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace switchboard::gateway::limits {

class TokenBuckets {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  // A key longer than this is kept as its SHA-256 instead, so that a bucket's size does not
  // depend on what a client sends (a header can be tens of kilobytes).
  static constexpr size_t kMaxKeyBytes = 64;

  TokenBuckets(
      double requests_per_second, double burst, size_t max_keys,
      Now now = [] { return Clock::now(); });

  struct Decision {
    bool allowed = true;
    // When refused: how long until the key's bucket holds a whole token again.
    Clock::duration retry_after{0};
  };
  // Takes one token from `key`'s bucket, which starts full the first time the key is seen.
  Decision Take(std::string_view key);

  size_t size() const;

 private:
  // Least recently used last.
  using Order = std::list<std::string>;
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
    Order::iterator position;
  };

  const double rate_;
  const double burst_;
  const size_t max_keys_;
  const Now now_;
  mutable std::mutex mutex_;
  Order order_;                                      // guarded by mutex_
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mutex_
};

}  // namespace switchboard::gateway::limits
