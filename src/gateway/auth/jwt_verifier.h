// Verification of one JWT in the JWS compact form (RFC 7519, RFC 7515): the signature with a
// key of the provider's set (RS256, ES256 or EdDSA, the algorithm the key's type signs with),
// then exp, nbf, iss and aud with a clock skew. Pure: the time is a parameter, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/auth/jwks.h"

namespace switchboard::gateway::auth {

// Why a token was refused: the label of switchboard_gateway_auth_rejected_total{reason}.
enum class Rejection {
  kMissing,
  kMalformed,
  kBadAlgorithm,
  kUnknownKid,
  kBadSignature,
  kExpired,
  kNotYetValid,
  kWrongIssuer,
  kWrongAudience,
  // The provider's keys come from a jwks_uri and no fetch has succeeded yet.
  kKeysUnavailable,
};
const char* RejectionLabel(Rejection reason);

// A token above this is refused before any parsing (a header list is bounded anyway, a query
// parameter not necessarily).
inline constexpr size_t kMaxTokenBytes = 16 * 1024;

// What a provider requires of its tokens.
struct TokenRules {
  std::string issuer;
  std::vector<std::string> audiences;  // empty: aud not checked
  std::chrono::seconds clock_skew{30};
};

// A verified token: when it stops being valid (its exp plus the skew) and the claims the
// gateway uses (forwarded to backends or keying a rate limit), as header-ready text.
struct VerifiedToken {
  int64_t valid_until_unix = 0;
  std::map<std::string, std::string> claims;
};

struct VerifyResult {
  bool ok = false;
  Rejection reason = Rejection::kMalformed;
  std::string message;  // for the client: never contains the token
  VerifiedToken token;
};

// The issuer a token claims, read before any check: which provider is asked to verify it.
// Empty when the token cannot be read that far.
std::string UnverifiedIssuer(std::string_view token);

// Verifies `token` at `now_unix` (seconds since the epoch). `kept_claims` names the claims
// copied into the result: strings as they are, numbers and booleans as text; other types and
// values that are not valid header text are left out.
VerifyResult VerifyJwt(std::string_view token, const TokenRules& rules, const KeySet& keys,
                       const std::set<std::string>& kept_claims, int64_t now_unix);

}  // namespace switchboard::gateway::auth
