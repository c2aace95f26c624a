// Authentication of one call: finds the token where each provider looks for it, answers from
// the cache of verified tokens, else verifies it (jwt_verifier.h) and caches the result until
// the token expires. Shared by every worker of the gateway: thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/auth/auth_config.h"
#include "gateway/auth/token_cache.h"
#include "gateway/codec/headers.h"

namespace switchboard::gateway::auth {

struct AuthOutcome {
  enum class Kind { kNoToken, kVerified, kRejected };
  Kind kind = Kind::kNoToken;
  Rejection reason = Rejection::kMissing;      // kRejected
  std::string message;                         // kRejected: for the client, never the token
  const JwtProvider* provider = nullptr;       // kVerified
  std::shared_ptr<const VerifiedToken> token;  // kVerified
};

class Authenticator {
 public:
  // Seconds since the epoch (exp and nbf are in them); tests pass their own.
  using UnixClock = std::function<int64_t()>;
  static int64_t SystemUnixSeconds();

  // `kept_claims`: claims used beyond forwarding (rate-limit keys), kept in the cache too.
  Authenticator(std::vector<JwtProvider> providers, size_t cache_entries,
                const std::set<std::string>& kept_claims, UnixClock clock = SystemUnixSeconds);

  // `metadata`: the request's headers as the backend would get them; `query`: the request's
  // query string (no '?'), empty when there is none.
  AuthOutcome Authenticate(const Headers& metadata, std::string_view query);

  // Starts fetching the keys of every provider with a jwks_uri (on their own threads); until
  // a provider's first fetch succeeds, its tokens are refused with kKeysUnavailable. Called
  // when a configuration goes into service, not when it is only read; later calls do nothing.
  void StartKeyRefresh();

  const std::vector<JwtProvider>& providers() const { return providers_; }
  // Every provider's forward_claims header names: a client's own copies never reach a
  // backend.
  const std::set<std::string>& forwarded_headers() const { return forwarded_headers_; }
  // Signature checks done so far (cache misses that reached one).
  uint64_t signature_checks() const { return signature_checks_.load(std::memory_order_relaxed); }
  size_t cached_tokens() const { return cache_.size(); }

 private:
  std::string_view FindToken(const TokenSource& source, const Headers& metadata,
                             std::string_view query, std::string* decoded) const;

  const std::vector<JwtProvider> providers_;
  std::set<std::string> kept_claims_;
  std::set<std::string> forwarded_headers_;
  UnixClock clock_;
  TokenCache cache_;
  std::atomic<uint64_t> signature_checks_{0};
};

// The query parameters `config`'s providers take tokens from (the REST transcoder and the
// WebSocket upgrade skip them).
std::vector<std::string> TokenQueryParameters(const AuthConfig& config);
// Whether every parameter of `query` carries a token (a WebSocket upgrade's query may hold
// only that, since its messages come from the frames).
bool OnlyTokenParameters(const AuthConfig& config, std::string_view query);

}  // namespace switchboard::gateway::auth
