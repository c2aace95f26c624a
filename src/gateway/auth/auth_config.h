// The gateway's `auth:` block (JWT providers, their keys and token sources, the token cache)
// and the `auth: required | optional | none` of a service and of its methods.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gateway/auth/jwks.h"
#include "gateway/auth/jwks_refresher.h"
#include "gateway/auth/jwt_verifier.h"

namespace switchboard::gateway::auth {

// none: no token looked at. optional: a call without a token passes, one with a bad token is
// refused. required: a call needs a valid token.
enum class AuthMode { kNone, kOptional, kRequired };
const char* AuthModeName(AuthMode mode);

// Where a provider's token is: `Authorization: Bearer <token>` (the default), a header of its
// own (its value, a "Bearer " prefix allowed), or a query parameter (browsers' WebSocket and
// EventSource cannot set headers).
struct TokenSource {
  enum class Kind { kBearer, kHeader, kQuery };
  Kind kind = Kind::kBearer;
  std::string name;  // the header (lowercase) or the query parameter
};

struct JwtProvider {
  std::string name;
  TokenRules rules;
  // One of the two: a file read with the configuration, or an https URL fetched and refreshed
  // by `refresher` (then `keys` is null and the refresher's current set is used).
  std::string jwks_file;
  std::shared_ptr<const KeySet> keys;
  std::string jwks_uri;
  std::shared_ptr<JwksRefresher> refresher;
  // claim -> backend metadata name, in the order given.
  std::vector<std::pair<std::string, std::string>> forward_claims;
  TokenSource source;
};

class Authenticator;

struct AuthConfig {
  static constexpr size_t kDefaultCacheEntries = 10000;
  // Past this the bound is a typo: each entry holds a few claims, and a million of them is
  // more tokens than one gateway sees while they are valid.
  static constexpr size_t kMaxCacheEntries = 1 << 20;
  static constexpr size_t kMaxProviders = 16;
  static constexpr std::chrono::seconds kDefaultClockSkew{30};
  static constexpr std::chrono::seconds kMaxClockSkew{600};

  std::vector<JwtProvider> providers;
  size_t cache_entries = kDefaultCacheEntries;
  // Built from the above once the whole file is read (SetUpAccessControl); shared by every
  // copy of the configuration and so by every worker. A reload builds a new one (its cache
  // starts empty). Null when there is no provider.
  std::shared_ptr<Authenticator> authenticator;
};

// A service's mode and its methods' own modes.
struct RouteAuth {
  AuthMode mode = AuthMode::kNone;
  std::map<std::string, AuthMode, std::less<>> methods;  // by method name (GetEvent)
  AuthMode ModeOf(std::string_view method) const {
    if (methods.empty()) return mode;
    auto it = methods.find(method);
    return it == methods.end() ? mode : it->second;
  }
};

// The top-level `auth:` block (absent: no providers). A jwks_uri is checked (https, the
// jwks_ca_file readable) but not fetched: Authenticator::StartKeyRefresh does that.
absl::Status ReadAuthConfig(const YAML::Node& node, AuthConfig* out);
// A service block's `auth:` and each `methods.<Name>.auth`. `where` is "services.<name>".
// Also checks the keys of each method's block, which it shares with rate_limit.
absl::Status ReadRouteAuth(const YAML::Node& service, const std::string& where, RouteAuth* out);
// The keys a `methods.<Name>` block may hold.
inline constexpr const char* kMethodKeys[] = {"auth", "rate_limit"};

// The `auth:` lines of --print-defaults.
std::string AuthDefaultsYaml();

}  // namespace switchboard::gateway::auth
