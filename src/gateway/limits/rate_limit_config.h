// `rate_limit: {requests_per_second, burst, key, max_keys}` of a service (all its methods
// together) or of one method (`methods: {Name: {rate_limit: ...}}`, in place of the
// service's), each with its own buckets.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gateway/limits/token_buckets.h"

namespace switchboard::gateway::limits {

// Whose calls share a bucket: the client's address, a request header's value, or a claim of
// the verified token. A call without the header or the claim is keyed by its address.
struct RateLimitKey {
  enum class Kind { kClientIp, kHeader, kClaim };
  Kind kind = Kind::kClientIp;
  std::string name;  // the header (lowercase) or the claim
  std::string ToString() const;
};

struct RateLimitPolicy {
  static constexpr size_t kDefaultMaxKeys = 10000;
  static constexpr size_t kMaxMaxKeys = 1 << 20;
  static constexpr double kMaxRequestsPerSecond = 1e7;
  double requests_per_second = 0;
  int64_t burst = 0;  // default: requests_per_second, at least 1
  RateLimitKey key;
  size_t max_keys = kDefaultMaxKeys;
  // Built with the policy, shared by every copy of the configuration (every worker); a reload
  // builds new ones, whose buckets start full.
  std::shared_ptr<TokenBuckets> buckets;
};

struct RouteRateLimit {
  std::optional<RateLimitPolicy> service;
  std::map<std::string, RateLimitPolicy, std::less<>> methods;
  // The limit a call of `method` counts against, or null.
  const RateLimitPolicy* For(std::string_view method) const {
    if (!methods.empty()) {
      auto it = methods.find(method);
      if (it != methods.end()) return &it->second;
    }
    return service ? &*service : nullptr;
  }
};

// A service block's `rate_limit:` and each `methods.<Name>.rate_limit` (auth_config.cc checks
// the other keys of a method's block). `where` is "services.<name>".
absl::Status ReadRouteRateLimit(const YAML::Node& service, const std::string& where,
                                RouteRateLimit* out);

// The rate_limit line of --print-defaults.
std::string RateLimitDefaultsYaml();

}  // namespace switchboard::gateway::limits
